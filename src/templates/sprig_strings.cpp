// Sprig's string functions.

#include <algorithm>
#include <cctype>

#include "gatehouse/utf8.h"
#include "templates/format.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

// snakecase/kebabcase: lower case, `sep` before an inner capital and in place of a space or
// of `other` (the other case's separator).
std::string lowerWords(const std::string& s, char sep, char other) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isupper(c) && i > 0 && s[i - 1] != sep && s[i - 1] != ' ') {
      o += sep;
    }
    o += c == ' ' || c == other ? sep : static_cast<char>(std::tolower(c));
  }
  return o;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) {
    // Go's strings.Replace with an empty old string inserts `to` around every rune.
    std::string out = to;
    for (char c : s) {
      out += c;
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        out += to;
      }
    }
    return out;
  }
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::string trimSet(const std::string& s, const std::string& cut) {
  const size_t b = s.find_first_not_of(cut);
  if (b == std::string::npos) {
    return "";
  }
  return s.substr(b, s.find_last_not_of(cut) - b + 1);
}

// Go's strings.Title: a letter after a separator (any ASCII byte but a letter, a digit or
// '_'; UTF-8 letters are not separators) is upper-cased.
std::string title(const std::string& s) {
  std::string out = s;
  bool afterSeparator = true;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (afterSeparator) {
      c = static_cast<char>(std::toupper(u));
    }
    afterSeparator = u < 0x80 && !std::isalnum(u) && u != '_';
  }
  return out;
}

std::string indent(int64_t n, const std::string& s) {
  const std::string pad(static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(n, 4096))), ' ');
  return pad + replaceAll(s, "\n", "\n" + pad);
}

// Go's strings.Split(s, "") parts: one per UTF-8 sequence (at most n, the last the rest).
List explode(const std::string& s, int64_t n) {
  List out;
  size_t i = 0;
  while (i < s.size()) {
    if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) {
      out.emplace_back(s.substr(i));
      return out;
    }
    const size_t len =
        std::max<size_t>(1, validUtf8Length(std::string_view(s).substr(i)));  // invalid: 1 byte
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

Value splitMap(const std::string& sep, const std::string& s, int64_t n) {
  Value m = typed(makeMap(), "map[string]string");
  if (n == 0) {  // strings.SplitN's nil
    return m;
  }
  if (sep.empty()) {
    const List parts = explode(s, n);
    for (size_t k = 0; k < parts.size(); ++k) {
      m.asMap().entries["_" + std::to_string(k)] = parts[k];
    }
    return m;
  }
  size_t start = 0;
  int64_t i = 0;
  for (;;) {
    const size_t at = sep.empty() ? std::string::npos : s.find(sep, start);
    if (at == std::string::npos || (n > 0 && i == n - 1)) {
      m.asMap().entries["_" + std::to_string(i)] = Value(s.substr(start));
      break;
    }
    m.asMap().entries["_" + std::to_string(i++)] = Value(s.substr(start, at - start));
    start = at + sep.size();
  }
  return m;
}

}  // namespace

std::string strval(const Value& v) {
  if (v.isNil()) {
    return "<nil>";  // fmt's %v of a nil interface (printValue's "<no value>" is text/template's)
  }
  return v.isString() ? v.asString() : printValue(v);
}

List goSplit(const std::string& s, const std::string& sep) {
  List out;
  if (sep.empty()) {
    return explode(s, -1);
  }
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    if (at == std::string::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, at - start));
    start = at + sep.size();
  }
}

void addSprigStrings(FuncMap& f) {
  auto str1 = [&f](const char* name, std::string (*fn)(const std::string&)) {
    f[name] = [name, fn](Args& a) {
      wantArgs(a, 1, name);
      return Value(fn(strval(a[0])));
    };
  };
  str1("upper", [](const std::string& s) {
    std::string o = s;
    std::transform(o.begin(), o.end(), o.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return o;
  });
  str1("lower", [](const std::string& s) {
    std::string o = s;
    std::transform(o.begin(), o.end(), o.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return o;
  });
  str1("title", title);
  str1("untitle", [](const std::string& s) {
    std::string o = s;
    bool start = true;
    for (char& c : o) {
      if (start && !std::isspace(static_cast<unsigned char>(c))) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      start = std::isspace(static_cast<unsigned char>(c)) != 0;
    }
    return o;
  });
  str1("trim", [](const std::string& s) { return trimSet(s, " \t\r\n\v\f"); });
  str1("nospace", [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (!std::isspace(static_cast<unsigned char>(c))) {
        o += c;
      }
    }
    return o;
  });
  str1("initials", [](const std::string& s) {
    // goutils.Initials reads bytes as runes: a byte 0x85 or 0xA0 (inside UTF-8 text too)
    // is a Unicode space, and a first byte is written as the rune U+00XX.
    std::string o;
    bool gap = true;
    for (char c : s) {
      const auto b = static_cast<unsigned char>(c);
      const bool space = (b >= '\t' && b <= '\r') || b == ' ' || b == 0x85 || b == 0xA0;
      if (space) {
        gap = true;
      } else if (gap) {
        appendUtf8(o, b);
        gap = false;
      }
    }
    return o;
  });
  str1("swapcase", [](const std::string& s) {
    std::string o = s;
    for (char& c : o) {
      const auto u = static_cast<unsigned char>(c);
      c = static_cast<char>(std::isupper(u) ? std::tolower(u) : std::toupper(u));
    }
    return o;
  });
  str1("snakecase", [](const std::string& s) { return lowerWords(s, '_', '-'); });
  str1("kebabcase", [](const std::string& s) { return lowerWords(s, '-', '_'); });
  str1("camelcase", [](const std::string& s) {
    std::string o;
    bool up = true;
    for (char c : s) {
      if (c == '_' || c == ' ' || c == '-') {
        up = true;
        continue;
      }
      o += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      up = false;
    }
    return o;
  });
  f["trimAll"] = [](Args& a) {
    wantArgs(a, 2, "trimAll");
    return Value(trimSet(strval(a[1]), strval(a[0])));
  };
  f["trimall"] = f["trimAll"];
  f["trimPrefix"] = [](Args& a) {
    wantArgs(a, 2, "trimPrefix");
    std::string s = strval(a[1]);
    const std::string p = strval(a[0]);
    return Value(s.starts_with(p) ? s.substr(p.size()) : s);
  };
  f["trimSuffix"] = [](Args& a) {
    wantArgs(a, 2, "trimSuffix");
    std::string s = strval(a[1]);
    const std::string p = strval(a[0]);
    return Value(s.ends_with(p) ? s.substr(0, s.size() - p.size()) : s);
  };
  f["contains"] = [](Args& a) {
    wantArgs(a, 2, "contains");
    return Value(strval(a[1]).find(strval(a[0])) != std::string::npos);
  };
  f["hasPrefix"] = [](Args& a) {
    wantArgs(a, 2, "hasPrefix");
    return Value(strval(a[1]).starts_with(strval(a[0])));
  };
  f["hasSuffix"] = [](Args& a) {
    wantArgs(a, 2, "hasSuffix");
    return Value(strval(a[1]).ends_with(strval(a[0])));
  };
  f["replace"] = [](Args& a) {
    wantArgs(a, 3, "replace");
    return Value(replaceAll(strval(a[2]), strval(a[0]), strval(a[1])));
  };
  f["repeat"] = [](Args& a) {
    wantArgs(a, 2, "repeat");
    const int64_t n = toInt64(a[0]);
    const std::string s = strval(a[1]);
    if (n < 0) {
      throw TemplateError("strings: negative Repeat count");  // Go's strings.Repeat panics
    }
    if (static_cast<uint64_t>(n) * s.size() > (16u << 20)) {
      throw TemplateError("repeat: count out of range");
    }
    std::string o;
    for (int64_t i = 0; i < n; ++i) {
      o += s;
    }
    return Value(o);
  };
  f["substr"] = [](Args& a) {
    wantArgs(a, 3, "substr");
    const std::string s = strval(a[2]);
    int64_t start = toInt64(a[0]);
    int64_t end = toInt64(a[1]);
    const auto len = static_cast<int64_t>(s.size());
    // Sprig slices the string as Go does: a bad bound is Go's runtime panic, reported as is.
    const std::string panic = "runtime error: slice bounds out of range [";
    if (start < 0) {
      if (end < 0) {
        throw TemplateError(panic + ":" + std::to_string(end) + "]");
      }
      if (end > len) {
        throw TemplateError(panic + ":" + std::to_string(end) + "] with length " + std::to_string(len));
      }
      return Value(s.substr(0, static_cast<size_t>(end)));
    }
    if (end < 0 || end > len) {
      if (start > len) {
        throw TemplateError(panic + std::to_string(start) + ":" + std::to_string(len) + "]");
      }
      return Value(s.substr(static_cast<size_t>(start)));
    }
    if (start > end) {
      throw TemplateError(panic + std::to_string(start) + ":" + std::to_string(end) + "]");
    }
    return Value(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)));
  };
  f["trunc"] = [](Args& a) {
    wantArgs(a, 2, "trunc");
    const int64_t n = toInt64(a[0]);
    const std::string s = strval(a[1]);
    const auto len = static_cast<int64_t>(s.size());
    if (n < 0 && len + n > 0) {
      return Value(s.substr(static_cast<size_t>(len + n)));
    }
    if (n >= 0 && len > n) {
      return Value(s.substr(0, static_cast<size_t>(n)));
    }
    return Value(s);
  };
  f["abbrev"] = [](Args& a) {
    wantArgs(a, 2, "abbrev");
    const int64_t w = toInt64(a[0]);
    const std::string s = strval(a[1]);
    if (w < 4 || static_cast<int64_t>(s.size()) <= w) {
      return Value(s);
    }
    return Value(s.substr(0, static_cast<size_t>(w - 3)) + "...");
  };
  auto quoteAll = [](Args& a, bool dbl) {
    std::string o;
    for (const auto& v : a) {
      if (v.isNil()) {
        continue;
      }
      if (!o.empty()) {
        o += ' ';
      }
      o += dbl ? goQuote(strval(v)) : "'" + strval(v) + "'";
    }
    return Value(o);
  };
  f["quote"] = [quoteAll](Args& a) { return quoteAll(a, true); };
  f["squote"] = [quoteAll](Args& a) { return quoteAll(a, false); };
  f["cat"] = [](Args& a) {
    std::string o;
    for (const auto& v : a) {
      if (v.isNil()) {
        continue;
      }
      if (!o.empty()) {
        o += ' ';
      }
      o += strval(v);
    }
    return Value(o);
  };
  f["indent"] = [](Args& a) {
    wantArgs(a, 2, "indent");
    if (toInt64(a[0]) < 0) {
      throw TemplateError("strings: negative Repeat count");  // Go's strings.Repeat panics
    }
    return Value(indent(toInt64(a[0]), strval(a[1])));
  };
  f["nindent"] = [](Args& a) {
    wantArgs(a, 2, "nindent");
    if (toInt64(a[0]) < 0) {
      throw TemplateError("strings: negative Repeat count");
    }
    return Value("\n" + indent(toInt64(a[0]), strval(a[1])));
  };
  f["plural"] = [](Args& a) {
    wantArgs(a, 3, "plural");
    return toInt64(a[2]) == 1 ? a[0] : a[1];
  };
  f["split"] = [](Args& a) {
    wantArgs(a, 2, "split");
    return splitMap(strval(a[0]), strval(a[1]), -1);
  };
  f["splitn"] = [](Args& a) {
    wantArgs(a, 3, "splitn");
    return splitMap(strval(a[0]), strval(a[2]), toInt64(a[1]));
  };
  f["splitList"] = [](Args& a) {
    wantArgs(a, 2, "splitList");
    return typed(makeList(goSplit(strval(a[1]), strval(a[0]))), "[]string");
  };
  f["join"] = [](Args& a) {
    wantArgs(a, 2, "join");
    const std::string sep = strval(a[0]);
    std::string o;
    if (a[1].isList()) {
      bool first = true;
      for (const auto& v : a[1].asList()) {
        if (v.isNil()) {
          continue;  // Sprig's strslice drops nil elements
        }
        if (!first) {
          o += sep;
        }
        first = false;
        o += strval(v);
      }
    } else {
      o = strval(a[1]);
    }
    return Value(o);
  };
}

}  // namespace gatehouse::templates
