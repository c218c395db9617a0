#include "templates/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gatehouse/utf8.h"
#include "templates/go_quote.h"

namespace gatehouse::templates {

namespace {

struct Spec {
  bool minus = false, plus = false, sharp = false, zero = false, space = false;
  bool sharpV = false;  // %#v (Go syntax); a bad verb's %v keeps `sharp` instead, as fmt does
  int width = -1;
  int prec = -1;
};

size_t runeCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

// A string's precision counts runes (%.2s of "日本語" is "日本").
void truncateRunes(std::string& s, int prec) {
  if (prec < 0) {
    return;
  }
  int runes = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && runes++ == prec) {
      s.resize(i);
      return;
    }
  }
}

void pad(std::string& out, const std::string& s, const Spec& sp, bool numeric = false) {
  const int w = sp.width;
  const size_t runes = runeCount(s);  // Go's width counts runes
  if (w < 0 || static_cast<int>(runes) >= w) {
    out += s;
    return;
  }
  const size_t n = static_cast<size_t>(w) - runes;
  if (sp.minus) {
    out += s;
    out.append(n, ' ');
  } else if (sp.zero && !numeric) {  // fmt pads text with zeros too
    out.append(n, '0');
    out += s;
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

// fmt's '#' on a float (all verbs but %b): a decimal point always, and for %g/%G/%v/%x
// trailing zeros up to the precision's significant digits (6 when none is given).
void sharpFloat(std::string& num, char verb, int prec) {
  const size_t signLen = !num.empty() && (num[0] == '-' || num[0] == '+' || num[0] == ' ') ? 1 : 0;
  int digits = 0;
  if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') {
    digits = prec < 0 ? 6 : prec;
  }
  std::string tail;
  bool point = false;
  bool nonzero = false;
  for (size_t i = signLen; i < num.size(); ++i) {
    const char c = num[i];
    if (c == '.') {
      point = true;
    } else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
      tail = num.substr(i);
      num.resize(i);
      break;
    } else {
      nonzero = nonzero || c != '0';
      digits -= nonzero ? 1 : 0;  // significant digits after the first non-zero one
    }
  }
  if (!point) {
    if (num.size() - signLen == 1 && num[signLen] == '0') {
      --digits;  // a lone leading 0 counts once
    }
    num += '.';
  }
  if (digits > 0) {
    num.append(static_cast<size_t>(digits), '0');
  }
  num += tail;
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
  if (sp.sharp) {
    sharpFloat(s, verb, sp.prec);
  }
  return s;
}

std::string hexString(const std::string& s, bool upper, const Spec& sp) {
  std::string out;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  const char* prefix = upper ? "0X" : "0x";
  if (sp.sharp && !sp.space && !s.empty()) {  // %#x: one 0x before the whole
    out += prefix;
  }
  for (unsigned char c : s) {
    if (sp.space && !out.empty()) {
      out += ' ';
    }
    if (sp.sharp && sp.space) {  // "% #x": 0x before each byte
      out += prefix;
    }
    out += set[c >> 4];
    out += set[c & 15];
  }
  return out;
}

void formatOne(std::string& out, char verb, const Spec& sp, const Value& v);

// fmt's badVerb: the verb, the type and the value printed with %v under the same flags
// (width and precision included); a nil argument has no type.
std::string bad(char verb, const Value& v, const Spec& sp) {
  if (v.isNil()) {
    return std::string("%!") + verb + "(<nil>)";
  }
  std::string s = std::string("%!") + verb + "(" + kindName(v) + "=";
  formatOne(s, 'v', sp, v);
  return s + ")";
}

// An element of a slice or map: a nil one prints <nil> whatever the verb.
void formatElem(std::string& out, char verb, const Spec& sp, const Value& item) {
  if (item.isNil() && verb != 'T') {
    out += "<nil>";  // (as caddy 2.6.2 prints it: unpadded)
    return;
  }
  formatOne(out, verb, sp, item);
}

// fmt applies a verb to each element of a slice or map ("[a b]", "map[k:v]").
bool formatComposite(std::string& out, char verb, const Spec& sp, const Value& v) {
  if (verb == 'T' || verb == 'p' || (verb == 'v' && sp.sharpV)) {
    return false;
  }
  if (v.isList()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.asList()) {
      out += first ? "" : " ";
      first = false;
      formatElem(out, verb, sp, item);
    }
    out += ']';
    return true;
  }
  if (v.isMap()) {
    out += "map[";
    bool first = true;
    for (const auto& [k, item] : v.asMap().entries) {
      out += first ? "" : " ";
      first = false;
      formatOne(out, verb, sp, Value(k));
      out += ':';
      formatElem(out, verb, sp, item);
    }
    out += ']';
    return true;
  }
  return false;
}

// One verb applied to one argument.
void formatOne(std::string& out, char verb, const Spec& given, const Value& v) {
  const Spec& sp = given;
  if (formatComposite(out, verb, sp, v)) {
    return;
  }
  if (v.isObject() && v.asObject().stringer() &&
      std::string_view("svqxX").find(verb) != std::string_view::npos && !sp.sharpV) {
    formatOne(out, verb, sp, Value(v.asObject().print()));  // fmt calls String()
    return;
  }
  switch (verb) {
    case 'v':
      if (v.isFloat()) {
        pad(out, floatIn(v.asFloat(), 'g', sp), sp, true);
      } else if (v.isInt()) {
        Spec spaces = sp;
        spaces.zero = sp.zero && sp.prec < 0;
        pad(out, intIn(v.asInt(), 10, false, sp), spaces, true);
      } else if (v.isString() && sp.sharpV) {
        pad(out, goQuote(v.asString()), sp);
      } else if (v.isString()) {
        std::string str = v.asString();
        truncateRunes(str, sp.prec);
        pad(out, str, sp);
      } else if (v.isBool()) {
        pad(out, v.asBool() ? "true" : "false", sp);
      } else if (v.isNil()) {
        pad(out, "<nil>", sp);
      } else {
        std::string s;
        appendValue(s, v);
        pad(out, s, sp);
      }
      return;
    case 'T':
      pad(out, v.isNil() ? "<nil>" : kindName(v), sp);
      return;
    case 's':
      if (v.isString()) {
        std::string s = v.asString();
        truncateRunes(s, sp.prec);
        pad(out, s, sp);
      } else if (v.isObject() && !(v.asObject().nil() && v.asObject().print() == "<nil>")) {
        std::string s;  // (a nil pointer without a String method is a bad verb)
        appendValue(s, v);
        pad(out, s, sp);
      } else {
        out += bad('s', v, sp);
      }
      return;
    case 'q':
      if (v.isString()) {
        const std::string& str = v.asString();
        pad(out, sp.sharp && canBackquote(str) ? "`" + str + "`" : goQuote(str, sp.plus), sp);  // %+q: ASCII
      } else if (v.isInt()) {
        pad(out, goQuoteRune(v.asInt(), sp.plus), sp);
      } else {
        out += bad('q', v, sp);
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
        Spec spaces = sp;
        spaces.zero = sp.zero && sp.prec < 0;  // %08.3d: the precision's zeros, then spaces
        pad(out, s, spaces, true);
      } else if ((verb == 'x' || verb == 'X') && v.isString()) {
        pad(out, hexString(v.asString(), verb == 'X', sp), sp);
      } else if ((verb == 'x' || verb == 'X') && v.isFloat()) {
        char buf[512];
        if (sp.prec >= 0) {
          std::snprintf(buf, sizeof buf, verb == 'x' ? "%.*a" : "%.*A", std::min(sp.prec, 400), v.asFloat());
        } else {
          std::snprintf(buf, sizeof buf, verb == 'x' ? "%a" : "%A", v.asFloat());
        }
        std::string hex = buf;
        const size_t p = hex.find_first_of("pP");
        if (p != std::string::npos && p + 2 < hex.size() + 1 && hex.size() - p == 3) {
          hex.insert(p + 2, "0");  // Go writes at least two exponent digits (p+01)
        }
        if (v.asFloat() >= 0 && (sp.plus || sp.space)) {
          hex.insert(0, sp.plus ? "+" : " ");
        }
        if (sp.sharp) {
          sharpFloat(hex, verb, sp.prec);
        }
        pad(out, hex, sp, true);
      } else if (verb == 'b' && v.isFloat()) {  // strconv's 'b': mantissa "p" binary exponent
        int exp = 0;
        const double m = std::frexp(std::fabs(v.asFloat()), &exp);
        auto mant = static_cast<int64_t>(std::ldexp(m, 53));
        exp -= 53;
        if (v.asFloat() == 0) {
          mant = 0;
          exp = -1074;
        }
        const std::string s = std::string(std::signbit(v.asFloat()) ? "-" : "") + std::to_string(mant) + "p" +
                              (exp >= 0 ? "+" : "") + std::to_string(exp);
        pad(out, s, sp);
      } else {
        out += bad(verb, v, sp);
      }
      return;
    case 'c':
      if (v.isInt()) {
        std::string r;
        const int64_t cp = v.asInt();
        const bool valid = cp >= 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        appendUtf8(r, valid ? static_cast<uint32_t>(cp) : 0xFFFDu);  // Go writes U+FFFD
        pad(out, r, sp);
      } else {
        out += bad('c', v, sp);
      }
      return;
    case 'U':
      if (v.isInt()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "U+%04llX", static_cast<unsigned long long>(v.asInt()));
        pad(out, buf, sp);
      } else {
        out += bad('U', v, sp);
      }
      return;
    case 't':
      if (v.isBool()) {
        pad(out, v.asBool() ? "true" : "false", sp);
      } else {
        out += bad('t', v, sp);
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
        out += bad(verb, v, sp);
      }
      return;
    default:
      out += bad(verb, v, sp);
  }
}

}  // namespace

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
  bool reordered = false;  // an explicit [n] index was used: no EXTRA complaint
  bool goodIndex = true;
  // fmt's argNumber: "[n]" picks argument n (1-based) for what follows.
  auto argIndex = [&](size_t& i) {
    if (i >= f.size() || f[i] != '[') {
      return;
    }
    reordered = true;
    size_t j = i + 1;
    int n = 0;
    bool digits = false;
    while (j < f.size() && f[j] >= '0' && f[j] <= '9' && n < 1000000) {
      n = n * 10 + (f[j++] - '0');
      digits = true;
    }
    if (j >= f.size() || f[j] != ']') {  // no closing bracket: Go skips the '['
      goodIndex = false;
      i = j;
      return;
    }
    i = j + 1;
    if (!digits || n < 1 || static_cast<size_t>(n) > args.size()) {
      goodIndex = false;
      return;
    }
    argi = static_cast<size_t>(n - 1);
  };
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
    goodIndex = true;
    auto number = [&](int& target) {
      argIndex(i);
      if (i < f.size() && f[i] == '*') {
        ++i;
        // fmt's intFromArg: an int within +-1e6; a negative width left-justifies, a
        // negative precision is none
        const bool isPrec = &target == &sp.prec;
        const bool ok = argi < args.size() && args[argi].isInt() && args[argi].asInt() >= -1000000 &&
                        args[argi].asInt() <= 1000000;
        int n = ok ? static_cast<int>(args[argi].asInt()) : 0;
        ++argi;
        if (isPrec) {
          target = ok && n >= 0 ? n : -1;
          if (target < 0) {
            out += "%!(BADPREC)";
          }
        } else if (!ok) {
          out += "%!(BADWIDTH)";
        } else {
          if (n < 0) {
            n = -n;
            sp.minus = true;
            sp.zero = false;
          }
          target = n;
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
    argIndex(i);
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    const char verb = f[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (!goodIndex) {
      out += std::string("%!") + verb + "(BADINDEX)";
      continue;
    }
    if (argi >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    if (verb == 'v') {
      sp.plus = false;  // %+v asks for field names, not signs (a bad verb's value keeps '+')
      sp.sharpV = sp.sharp;
      sp.sharp = false;
    }
    formatOne(out, verb, sp, args[argi++]);
  }
  if (!reordered && argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) {
        out += ", ";
      }
      if (args[k].isNil()) {
        out += "<nil>";
      } else {
        out += kindName(args[k]) + "=";
        formatOne(out, 'v', Spec{}, args[k]);
      }
    }
    out += ")";
  }
  return out;
}

}  // namespace gatehouse::templates
