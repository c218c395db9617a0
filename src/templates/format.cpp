#include "templates/format.h"
#include "gatehouse/utf8.h"

#include <cmath>
#include <cstdio>

namespace gatehouse::templates {

namespace {

struct Spec {
  bool minus = false, plus = false, sharp = false, zero = false, space = false;
  int width = -1;
  int prec = -1;
};

void pad(std::string& out, const std::string& s, const Spec& sp, bool numeric = false) {
  const int w = sp.width;
  if (w < 0 || static_cast<int>(s.size()) >= w) {  // Go counts runes; ASCII is the common case
    out += s;
    return;
  }
  const size_t n = static_cast<size_t>(w) - s.size();
  if (sp.minus) {
    out += s;
    out.append(n, ' ');
  } else if (sp.zero && numeric) {
    size_t signLen = !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
    out += s.substr(0, signLen);
    out.append(n, '0');
    out += s.substr(signLen);
  } else {
    out.append(n, ' ');
    out += s;
  }
}

std::string intIn(int64_t v, int base, bool upper, const Spec& sp) {
  const bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits.insert(digits.begin(), set[u % static_cast<uint64_t>(base)]);
    u /= static_cast<uint64_t>(base);
  } while (u != 0);
  if (sp.prec >= 0 && static_cast<int>(digits.size()) < sp.prec) {
    digits.insert(0, static_cast<size_t>(sp.prec) - digits.size(), '0');
  }
  if (sp.prec == 0 && v == 0) {
    digits.clear();
  }
  if (sp.sharp) {
    if (base == 16) {
      digits.insert(0, upper ? "0X" : "0x");
    } else if (base == 8 && (digits.empty() || digits[0] != '0')) {
      digits.insert(0, "0");
    } else if (base == 2) {
      digits.insert(0, "0b");
    }
  }
  return (neg ? "-" : sp.plus ? "+" : sp.space ? " " : "") + digits;
}

std::string floatIn(double f, char verb, const Spec& sp) {
  if (std::isinf(f) || std::isnan(f)) {
    std::string s = std::isnan(f) ? "NaN" : f > 0 ? (sp.plus ? "+Inf" : "Inf") : "-Inf";
    return s;
  }
  std::string s;
  if ((verb == 'g' || verb == 'G' || verb == 'v') && sp.prec < 0) {
    s = formatFloatG(f);
    if (verb == 'G') {
      for (char& c : s) {
        c = c == 'e' ? 'E' : c;
      }
    }
  } else {
    char fmt[16];
    const char v = verb == 'v' ? 'g' : verb == 'F' ? 'f' : verb;
    std::snprintf(fmt, sizeof fmt, "%%.%d%c", sp.prec < 0 ? 6 : sp.prec, v);
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt, f);
    s = buf;
  }
  if (sp.plus && f >= 0) {
    s.insert(0, "+");
  } else if (sp.space && f >= 0) {
    s.insert(0, " ");
  }
  return s;
}

std::string hexString(const std::string& s, bool upper, const Spec& sp) {
  std::string out;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (unsigned char c : s) {
    if (sp.space && !out.empty()) {
      out += ' ';
    }
    out += set[c >> 4];
    out += set[c & 15];
  }
  return out;
}

std::string bad(char verb, const Value& v) { return std::string("%!") + verb + "(" + kindName(v) + "=" + printValue(v) + ")"; }

// One verb applied to one argument.
void formatOne(std::string& out, char verb, const Spec& sp, const Value& v) {
  switch (verb) {
    case 'v':
      if (v.isFloat()) {
        pad(out, floatIn(v.asFloat(), 'g', sp), sp, true);
      } else if (v.isInt()) {
        pad(out, intIn(v.asInt(), 10, false, sp), sp, true);
      } else if (v.isString() && sp.sharp) {
        pad(out, goQuote(v.asString()), sp);
      } else {
        std::string s;
        appendValue(s, v);
        pad(out, s, sp);
      }
      return;
    case 'T': pad(out, kindName(v), sp); return;
    case 's':
      if (v.isString()) {
        std::string s = v.asString();
        if (sp.prec >= 0 && static_cast<size_t>(sp.prec) < s.size()) {
          s.resize(static_cast<size_t>(sp.prec));
        }
        pad(out, s, sp);
      } else if (v.isList() || v.isMap() || v.isObject() || v.isBool() || v.isNil()) {
        std::string s;
        appendValue(s, v);
        pad(out, v.isBool() || v.isNil() ? bad('s', v) : s, sp);
      } else {
        out += bad('s', v);
      }
      return;
    case 'q':
      if (v.isString()) {
        pad(out, goQuote(v.asString()), sp);
      } else if (v.isInt()) {
        std::string r;
        appendUtf8(r, static_cast<uint32_t>(v.asInt()));
        pad(out, "'" + r + "'", sp);
      } else {
        out += bad('q', v);
      }
      return;
    case 'd':
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X':
      if (v.isInt()) {
        const int base = verb == 'd' ? 10 : verb == 'b' ? 2 : (verb == 'o' || verb == 'O') ? 8 : 16;
        std::string s = intIn(v.asInt(), base, verb == 'X', sp);
        if (verb == 'O') {
          s.insert(s[0] == '-' ? 1 : 0, "0o");
        }
        pad(out, s, sp, true);
      } else if ((verb == 'x' || verb == 'X') && v.isString()) {
        pad(out, hexString(v.asString(), verb == 'X', sp), sp);
      } else if ((verb == 'x' || verb == 'X') && v.isFloat()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, verb == 'x' ? "%a" : "%A", v.asFloat());
        pad(out, buf, sp);
      } else {
        out += bad(verb, v);
      }
      return;
    case 'c':
      if (v.isInt()) {
        std::string r;
        appendUtf8(r, static_cast<uint32_t>(v.asInt()));
        pad(out, r, sp);
      } else {
        out += bad('c', v);
      }
      return;
    case 'U':
      if (v.isInt()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "U+%04llX", static_cast<unsigned long long>(v.asInt()));
        pad(out, buf, sp);
      } else {
        out += bad('U', v);
      }
      return;
    case 't':
      if (v.isBool()) {
        pad(out, v.asBool() ? "true" : "false", sp);
      } else {
        out += bad('t', v);
      }
      return;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      if (v.isFloat()) {
        pad(out, floatIn(v.asFloat(), verb, sp), sp, true);
      } else {
        out += bad(verb, v);
      }
      return;
    default: out += std::string("%!") + verb + "(" + kindName(v) + "=" + printValue(v) + ")";
  }
}

}  // namespace

std::string goQuote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string goSprint(const Args& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    // Go adds a space between operands when neither is a string.
    if (i > 0 && !args[i].isString() && !args[i - 1].isString()) {
      out += ' ';
    }
    appendValue(out, args[i]);
  }
  return out;
}

std::string goSprintln(const Args& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) {
      out += ' ';
    }
    appendValue(out, args[i]);
  }
  return out + "\n";
}

std::string goSprintf(const std::string& f, const Args& args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    if (++i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    Spec sp;
    for (; i < f.size(); ++i) {
      const char c = f[i];
      if (c == '-') {
        sp.minus = true;
      } else if (c == '+') {
        sp.plus = true;
      } else if (c == '#') {
        sp.sharp = true;
      } else if (c == '0') {
        sp.zero = !sp.minus;
      } else if (c == ' ') {
        sp.space = true;
      } else {
        break;
      }
    }
    auto number = [&](int& target) {
      if (i < f.size() && f[i] == '*') {
        ++i;
        if (argi < args.size() && args[argi].isInt()) {
          target = static_cast<int>(args[argi++].asInt());
        } else {
          out += "%!(BADWIDTH)";
          ++argi;
        }
        return;
      }
      int n = -1;
      while (i < f.size() && f[i] >= '0' && f[i] <= '9') {
        n = (n < 0 ? 0 : n * 10) + (f[i++] - '0');
        if (n > 1000000) {
          n = 1000000;
        }
      }
      if (n >= 0) {
        target = n;
      }
    };
    number(sp.width);
    if (i < f.size() && f[i] == '.') {
      ++i;
      sp.prec = 0;
      number(sp.prec);
    }
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    const char verb = f[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (argi >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    formatOne(out, verb, sp, args[argi++]);
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) {
        out += ", ";
      }
      out += kindName(args[k]) + "=" + printValue(args[k]);
    }
    out += ")";
  }
  return out;
}

}  // namespace gatehouse::templates
