#include "templates/value.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "templates/go_parse_int.h"

namespace gatehouse::templates {

Value makeList(List items) {
  return Value(std::make_shared<List>(std::move(items)));
}

Value typed(Value v, const char* goType) {
  v.goType = goType;
  return v;
}

Value makeMap(MapData::Kind kind) {
  auto m = std::make_shared<MapData>();
  m->kind = kind;
  return Value(std::move(m));
}

bool truth(const Value& v) {
  switch (v.v.index()) {
    case 0:
      return false;
    case 1:
      return v.asBool();
    case 2:
      return v.asInt() != 0;
    case 3:
      return v.asFloat() != 0;
    case 4:
      return !v.asString().empty();
    case 5:
      return !v.asList().empty();
    case 6:
      return !v.asMap().entries.empty();
    case 7:
      return !v.asObject().nil();
    default:
      return true;
  }
}

bool isNilComposite(const Value& v) {
  return (v.isList() || v.isMap()) && v.goType != nullptr && std::string_view(v.goType).starts_with("nil ");
}

std::string kindName(const Value& v) {
  if (v.goType != nullptr) {
    return isNilComposite(v) ? v.goType + 4 : v.goType;
  }
  switch (v.v.index()) {
    case 0:
      return "nil";
    case 1:
      return "bool";
    case 2:
      return "int";
    case 3:
      return "float64";
    case 4:
      return "string";
    case 5:
      return "[]interface {}";
    case 6:
      return v.asMap().kind == MapData::Kind::Header      ? "http.Header"
             : v.asMap().kind == MapData::Kind::UrlValues ? "url.Values"
                                                          : "map[string]interface {}";
    case 7:
      return v.asObject().typeName();
    default:
      return "func";
  }
}

std::string formatFloatG(double f) {
  if (std::isnan(f)) {
    return "NaN";
  }
  if (std::isinf(f)) {
    return f > 0 ? "+Inf" : "-Inf";
  }
  if (f == 0) {
    return std::signbit(f) ? "-0" : "0";
  }
  // Shortest round-trip digits, then Go's %g layout: exponent form when exp < -4 || exp >= 6.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, end);  // d.ddde[+-]XX
  const bool neg = sci[0] == '-';
  if (neg) {
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  const int exp = std::stoi(sci.substr(e + 1));
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string out;
  if (exp < -4 || exp >= 6) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) {
      out += "." + digits.substr(1);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  } else if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
  }
  return neg ? "-" + out : out;
}

void appendValue(std::string& out, const Value& v, bool topLevel) {
  switch (v.v.index()) {
    case 0:
      out += topLevel ? "<no value>" : "<nil>";
      return;
    case 1:
      out += v.asBool() ? "true" : "false";
      return;
    case 2:
      out += std::to_string(v.asInt());
      return;
    case 3:
      out += formatFloatG(v.asFloat());
      return;
    case 4:
      out += v.asString();
      return;
    case 5: {
      out += '[';
      bool first = true;
      for (const auto& item : v.asList()) {
        if (!first) {
          out += ' ';
        }
        first = false;
        appendValue(out, item);
      }
      out += ']';
      return;
    }
    case 6: {
      out += "map[";
      bool first = true;
      for (const auto& [k, item] : v.asMap().entries) {
        if (!first) {
          out += ' ';
        }
        first = false;
        out += k;
        out += ':';
        appendValue(out, item);
      }
      out += ']';
      return;
    }
    case 7:
      out += v.asObject().print();
      return;
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%p", static_cast<const void*>(&v.asCallable()));
      out += buf;
    }
  }
}

std::string printValue(const Value& v) {
  std::string out;
  appendValue(out, v, true);
  return out;
}

const std::string& wantString(const Value& v, std::string_view fn) {
  if (!v.isString()) {
    throw TemplateError("error calling " + std::string(fn) + ": wrong type for value; expected string; got " +
                        kindName(v));
  }
  return v.asString();
}

int64_t wantInt(const Value& v, std::string_view fn) {
  if (!v.isInt()) {
    throw TemplateError("error calling " + std::string(fn) + ": wrong type for value; expected int; got " +
                        kindName(v));
  }
  return v.asInt();
}

namespace {

// cast.ToFloat64 of a string: strconv.ParseFloat's value, 0 when it fails. strtod takes more
// than Go does (leading spaces, hex without a 'p' exponent, "nan(...)"), and an overflow
// is Go's range error (0 here) unless the text spells an infinity.
double goParseFloatOrZero(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])) || s.find('(') != std::string::npos) {
    return 0;
  }
  const size_t digits = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  const bool hex =
      s.size() > digits + 1 && s[digits] == '0' && (s[digits + 1] == 'x' || s[digits + 1] == 'X');
  if (hex && s.find_first_of("pP") == std::string::npos) {
    return 0;
  }
  char* endp = nullptr;
  const double d = std::strtod(s.c_str(), &endp);
  if (endp == s.c_str() || *endp != '\0') {
    return 0;
  }
  if (std::isinf(d)) {
    std::string lower;
    for (char c : s.substr(digits)) {
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return lower == "inf" || lower == "infinity" ? d : 0;
  }
  return d;
}

// Go's int64(f) as amd64 computes it: a NaN or a value outside int64's range gives the
// "integer indefinite" value, INT64_MIN (what `{{int 1e300}}` prints in caddy 2.6.2). In C++
// that conversion is undefined, so the range is checked first.
int64_t goInt64(double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!(d >= -kTwo63 && d < kTwo63)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(d);
}

}  // namespace

int64_t toInt64(const Value& v) {
  switch (v.v.index()) {
    case 1:
      return v.asBool() ? 1 : 0;
    case 2:
      return v.asInt();
    case 3:
      return goInt64(v.asFloat());
    case 4:
      return castStringToInt64(v.asString());
    default:
      return 0;
  }
}

double toFloat64(const Value& v) {
  switch (v.v.index()) {
    case 1:
      return v.asBool() ? 1 : 0;
    case 2:
      return static_cast<double>(v.asInt());
    case 3:
      return v.asFloat();
    case 4:
      return goParseFloatOrZero(v.asString());
    default:
      return 0;
  }
}

std::string toStringLoose(const Value& v) {
  if (v.isNil()) {
    return "<nil>";
  }
  return printValue(v);
}

void wantArgs(const Args& a, size_t n, const char* fn) {
  if (a.size() != n) {
    throw TemplateError(std::string("wrong number of args for ") + fn + ": want " + std::to_string(n) +
                        " got " + std::to_string(a.size()));
  }
}

}  // namespace gatehouse::templates
