// String functions: the standard contains/startsWith/endsWith/matches and the ext.Strings
// library Caddy 2.6.2 enables (charAt, indexOf, lastIndexOf, lowerAscii, upperAscii,
// replace, split, join, substring, trim). Indices count code points, as CEL's do.
#include <re2/re2.h>

#include "router/cel/functions.h"

namespace gatehouse::router::cel {

namespace {

using Args = std::span<const Value>;
Type T(TK k) {
  return Type::of(k);
}

Value contains(const Node&, Args a) {
  return Value::boolean(a[0].s.find(a[1].s) != std::string::npos);
}
Value startsWith(const Node&, Args a) {
  return Value::boolean(a[0].s.starts_with(a[1].s));
}
Value endsWith(const Node&, Args a) {
  return Value::boolean(a[0].s.ends_with(a[1].s));
}

Value matches(const Node& call, Args a) {
  if (call.regex) {
    return Value::boolean(re2::RE2::PartialMatch(a[0].s, *call.regex));
  }
  re2::RE2 re(a[1].s, re2::RE2::Quiet);
  if (!re.ok()) {
    return Value::error("error parsing regexp: " + re.error());
  }
  return Value::boolean(re2::RE2::PartialMatch(a[0].s, re));
}

// Code points of a UTF-8 string: the byte offset of each, plus one past the end.
std::vector<size_t> runeOffsets(const std::string& s) {
  std::vector<size_t> out;
  for (size_t n = 0; n < s.size(); ++n) {
    if ((static_cast<unsigned char>(s[n]) & 0xC0) != 0x80) {
      out.push_back(n);
    }
  }
  out.push_back(s.size());
  return out;
}

Value lowerAscii(const Node&, Args a) {
  std::string s = a[0].s;
  for (char& c : s) {
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return Value::string(std::move(s));
}
Value upperAscii(const Node&, Args a) {
  std::string s = a[0].s;
  for (char& c : s) {
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  }
  return Value::string(std::move(s));
}
// Go's strings.TrimSpace (ASCII and the Unicode spaces that occur in practice).
Value trim(const Node&, Args a) {
  const std::string& s = a[0].s;
  auto space = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t b = 0;
  size_t e = s.size();
  while (b < e && space(static_cast<unsigned char>(s[b]))) {
    ++b;
  }
  while (e > b && space(static_cast<unsigned char>(s[e - 1]))) {
    --e;
  }
  return Value::string(s.substr(b, e - b));
}

std::string replaceN(const std::string& s, const std::string& from, const std::string& to, int64_t n) {
  if (n == 0) {
    return s;
  }
  std::string out;
  size_t pos = 0;
  int64_t done = 0;
  if (from.empty()) {
    // Go: an empty old string matches at the start and after each code point.
    std::vector<size_t> runes = runeOffsets(s);
    for (size_t r = 0; r < runes.size(); ++r) {
      if (n < 0 || done < n) {
        out += to;
        ++done;
      }
      if (r + 1 < runes.size()) {
        out.append(s, runes[r], runes[r + 1] - runes[r]);
      }
    }
    return out;
  }
  while (n < 0 || done < n) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) {
      break;
    }
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
    ++done;
  }
  out.append(s, pos);
  return out;
}
Value replace2(const Node&, Args a) {
  return Value::string(replaceN(a[0].s, a[1].s, a[2].s, -1));
}
Value replace3(const Node&, Args a) {
  return Value::string(replaceN(a[0].s, a[1].s, a[2].s, a[3].i));
}

ValueList splitN(const std::string& s, const std::string& sep, int64_t n) {
  ValueList out;
  if (n == 0) {
    return out;
  }
  if (sep.empty()) {
    std::vector<size_t> runes = runeOffsets(s);
    for (size_t r = 0; r + 1 < runes.size(); ++r) {
      if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) {
        out.push_back(Value::string(s.substr(runes[r])));
        return out;
      }
      out.push_back(Value::string(s.substr(runes[r], runes[r + 1] - runes[r])));
    }
    return out;
  }
  size_t pos = 0;
  for (;;) {
    size_t hit = s.find(sep, pos);
    if (hit == std::string::npos || (n > 0 && static_cast<int64_t>(out.size()) == n - 1)) {
      out.push_back(Value::string(s.substr(pos)));
      return out;
    }
    out.push_back(Value::string(s.substr(pos, hit - pos)));
    pos = hit + sep.size();
  }
}
Value split1(const Node&, Args a) {
  return Value::ofList(splitN(a[0].s, a[1].s, -1));
}
Value split2(const Node&, Args a) {
  return Value::ofList(splitN(a[0].s, a[1].s, a[2].i));
}

Value joinWith(const ValueList& items, const std::string& sep) {
  std::string out;
  for (size_t n = 0; n < items.size(); ++n) {
    if (items[n].kind != Kind::String) {
      return Value::error("join: list element is not a string");
    }
    out += (n > 0 ? sep : "") + items[n].s;
  }
  return Value::string(std::move(out));
}
Value join0(const Node&, Args a) {
  return joinWith(*a[0].list, "");
}
Value join1(const Node&, Args a) {
  return joinWith(*a[0].list, a[1].s);
}

Value substring(const std::string& s, int64_t from, int64_t to) {
  std::vector<size_t> runes = runeOffsets(s);
  auto len = static_cast<int64_t>(runes.size() - 1);
  if (from < 0 || from > len) {
    return Value::error("index out of range: " + std::to_string(from));
  }
  if (to < 0 || to > len) {
    return Value::error("index out of range: " + std::to_string(to));
  }
  if (from > to) {
    return Value::error("invalid substring range. start: " + std::to_string(from) +
                        ", end: " + std::to_string(to));
  }
  size_t b = runes[static_cast<size_t>(from)];
  return Value::string(s.substr(b, runes[static_cast<size_t>(to)] - b));
}
Value substring1(const Node&, Args a) {
  return substring(a[0].s, a[1].i, static_cast<int64_t>(runeOffsets(a[0].s).size() - 1));
}
Value substring2(const Node&, Args a) {
  return substring(a[0].s, a[1].i, a[2].i);
}
Value charAt(const Node&, Args a) {
  std::vector<size_t> runes = runeOffsets(a[0].s);
  auto len = static_cast<int64_t>(runes.size() - 1);
  if (a[1].i < 0 || a[1].i > len) {
    return Value::error("index out of range: " + std::to_string(a[1].i));
  }
  if (a[1].i == len) {
    return Value::string("");
  }
  size_t b = runes[static_cast<size_t>(a[1].i)];
  return Value::string(a[0].s.substr(b, runes[static_cast<size_t>(a[1].i) + 1] - b));
}

// Code-point index of byte offset `byte`.
int64_t runeIndex(const std::vector<size_t>& runes, size_t byte) {
  for (size_t r = 0; r < runes.size(); ++r) {
    if (runes[r] == byte) {
      return static_cast<int64_t>(r);
    }
  }
  return -1;
}
Value indexOf(const std::string& s, const std::string& sub, int64_t from, bool last) {
  std::vector<size_t> runes = runeOffsets(s);
  auto len = static_cast<int64_t>(runes.size() - 1);
  if (from < 0 || from > len) {
    return Value::error("index out of range: " + std::to_string(from));
  }
  size_t hit = 0;
  if (last) {
    size_t limit = runes[static_cast<size_t>(from)];  // a match may start at or before `from`
    hit = s.rfind(sub, limit);
  } else {
    hit = s.find(sub, runes[static_cast<size_t>(from)]);
  }
  return Value::integer(hit == std::string::npos ? -1 : runeIndex(runes, hit));
}
Value indexOf1(const Node&, Args a) {
  return indexOf(a[0].s, a[1].s, 0, false);
}
Value indexOf2(const Node&, Args a) {
  return indexOf(a[0].s, a[1].s, a[2].i, false);
}
Value lastIndexOf1(const Node&, Args a) {
  return indexOf(a[0].s, a[1].s, static_cast<int64_t>(runeOffsets(a[0].s).size() - 1), true);
}
Value lastIndexOf2(const Node&, Args a) {
  return indexOf(a[0].s, a[1].s, a[2].i, true);
}

}  // namespace

void addStringOverloads(std::vector<Overload>& out) {
  const Type s = T(TK::String);
  const Type b = T(TK::Bool);
  const Type i = T(TK::Int);
  out.push_back({"contains", true, {s, s}, b, contains});
  out.push_back({"startsWith", true, {s, s}, b, startsWith});
  out.push_back({"endsWith", true, {s, s}, b, endsWith});
  out.push_back({"matches", true, {s, s}, b, matches});
  out.push_back({"matches", false, {s, s}, b, matches});
  out.push_back({"lowerAscii", true, {s}, s, lowerAscii});
  out.push_back({"upperAscii", true, {s}, s, upperAscii});
  out.push_back({"trim", true, {s}, s, trim});
  out.push_back({"replace", true, {s, s, s}, s, replace2});
  out.push_back({"replace", true, {s, s, s, i}, s, replace3});
  out.push_back({"split", true, {s, s}, Type::list(s), split1});
  out.push_back({"split", true, {s, s, i}, Type::list(s), split2});
  out.push_back({"join", true, {Type::list(s)}, s, join0});
  out.push_back({"join", true, {Type::list(s), s}, s, join1});
  out.push_back({"substring", true, {s, i}, s, substring1});
  out.push_back({"substring", true, {s, i, i}, s, substring2});
  out.push_back({"charAt", true, {s, i}, s, charAt});
  out.push_back({"indexOf", true, {s, s}, i, indexOf1});
  out.push_back({"indexOf", true, {s, s, i}, i, indexOf2});
  out.push_back({"lastIndexOf", true, {s, s}, i, lastIndexOf1});
  out.push_back({"lastIndexOf", true, {s, s, i}, i, lastIndexOf2});
}

}  // namespace gatehouse::router::cel
