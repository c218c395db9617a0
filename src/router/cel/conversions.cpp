// Type conversions: int(), uint(), double(), string(), bytes(), bool(), dyn(), type(),
// duration(), timestamp(), with cel-go's range errors.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "router/cel/functions.h"
#include "router/cel/time_values.h"

namespace gatehouse::router::cel {

namespace {

using Args = std::span<const Value>;
Type T(TK k) {
  return Type::of(k);
}

Value identity(const Node&, Args a) {
  return a[0];
}

// Go's utf8.Valid: no stray continuation bytes, no overlong forms, surrogates or values past
// U+10FFFF.
bool validUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      return false;
    }
    uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}
// cel-go 0.12's checked conversions: "integer overflow" / "unsigned integer overflow".
Value rangeError(const Value& /*v*/, std::string_view to) {
  return Value::error(to == "uint" ? "unsigned integer overflow" : "integer overflow");
}

Value intOf(const Node&, Args a) {
  const Value& v = a[0];
  switch (v.kind) {
    case Kind::Uint:
      return v.u > static_cast<uint64_t>(INT64_MAX) ? rangeError(v, "int")
                                                    : Value::integer(static_cast<int64_t>(v.u));
    case Kind::Double:
      if (!(v.d > -9223372036854775808.0 && v.d < 9223372036854775808.0)) {
        return rangeError(v, "int");
      }
      return Value::integer(static_cast<int64_t>(v.d));
    case Kind::Timestamp:
      return Value::integer(v.i / 1000000000 - (v.i % 1000000000 < 0 ? 1 : 0));
    default: {
      errno = 0;
      char* end = nullptr;
      long long n = std::strtoll(v.s.c_str(), &end, 10);
      if (v.s.empty() || *end != '\0' || errno == ERANGE || v.s[0] == ' ' || v.s[0] == '+') {
        return Value::error("type conversion error from 'string' to 'int'");
      }
      return Value::integer(n);
    }
  }
}

Value uintOf(const Node&, Args a) {
  const Value& v = a[0];
  switch (v.kind) {
    case Kind::Int:
      return v.i < 0 ? rangeError(v, "uint") : Value::uinteger(static_cast<uint64_t>(v.i));
    case Kind::Double:
      if (!(v.d > -1.0 && v.d < 18446744073709551616.0)) {
        return rangeError(v, "uint");
      }
      return Value::uinteger(static_cast<uint64_t>(v.d));
    default: {
      errno = 0;
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.s.c_str(), &end, 10);
      if (v.s.empty() || *end != '\0' || errno == ERANGE || v.s[0] == '-' || v.s[0] == ' ' || v.s[0] == '+') {
        return Value::error("type conversion error from 'string' to 'uint'");
      }
      return Value::uinteger(n);
    }
  }
}

Value doubleOf(const Node&, Args a) {
  const Value& v = a[0];
  switch (v.kind) {
    case Kind::Int:
      return Value::dbl(static_cast<double>(v.i));
    case Kind::Uint:
      return Value::dbl(static_cast<double>(v.u));
    default: {
      char* end = nullptr;
      double d = std::strtod(v.s.c_str(), &end);
      if (v.s.empty() || *end != '\0' || v.s[0] == ' ') {
        return Value::error("type conversion error from 'string' to 'double'");
      }
      return Value::dbl(d);
    }
  }
}

// Go's strconv.FormatFloat(d, 'g', -1, 64): the shortest text that reads back as `d`.
std::string formatDouble(double d) {
  if (std::isnan(d)) {
    return "NaN";
  }
  if (std::isinf(d)) {
    return d > 0 ? "+Inf" : "-Inf";
  }
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) {
      break;
    }
  }
  // Go writes exponents with at least two digits and no leading zeros beyond that; C
  // writes at least two as well, so "1e+21" vs "1e+21" agree.
  return buf;
}

Value stringOf(const Node&, Args a) {
  const Value& v = a[0];
  switch (v.kind) {
    case Kind::Int:
      return Value::string(std::to_string(v.i));
    case Kind::Uint:
      return Value::string(std::to_string(v.u));
    case Kind::Double:
      return Value::string(formatDouble(v.d));
    case Kind::Bool:
      return Value::string(v.b ? "true" : "false");
    case Kind::Timestamp:
      return Value::string(formatTimestamp(v.i));
    case Kind::Duration:
      return Value::string(formatDuration(v.i));
    case Kind::Bytes:
      if (!validUtf8(v.s)) {
        return Value::error("invalid UTF-8 in bytes, cannot convert to string");
      }
      return Value::string(v.s);
    default:
      return Value::string(v.s);
  }
}

Value bytesOf(const Node&, Args a) {
  return Value::bytes(a[0].s);
}

Value boolOf(const Node&, Args a) {
  const std::string& s = a[0].s;
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") {
    return Value::boolean(true);
  }
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
    return Value::boolean(false);
  }
  return Value::error("type conversion error from 'string' to 'bool'");
}

Value typeOfValue(const Node&, Args a) {
  return typeOf(a[0]);
}

Value durationOf(const Node&, Args a) {
  auto d = parseDuration(a[0].s);
  return d ? Value::duration(*d) : Value::error("invalid duration: '" + a[0].s + "'");
}

Value timestampOf(const Node&, Args a) {
  if (a[0].kind == Kind::Int) {
    int64_t n = 0;
    if (__builtin_mul_overflow(a[0].i, int64_t{1000000000}, &n)) {
      return Value::error("timestamp overflow");
    }
    return Value::timestamp(n);
  }
  auto t = parseTimestamp(a[0].s);
  return t ? Value::timestamp(*t) : Value::error("invalid timestamp: '" + a[0].s + "'");
}

}  // namespace

void addConversionOverloads(std::vector<Overload>& out) {
  const Type i = T(TK::Int), u = T(TK::Uint), d = T(TK::Double), s = T(TK::String), b = T(TK::Bool);
  const Type by = T(TK::Bytes), ts = T(TK::Timestamp), du = T(TK::Duration);
  out.push_back({"int", false, {i}, i, identity});
  for (const Type& from : {u, d, s, ts}) {
    out.push_back({"int", false, {from}, i, intOf});
  }
  out.push_back({"uint", false, {u}, u, identity});
  for (const Type& from : {i, d, s}) {
    out.push_back({"uint", false, {from}, u, uintOf});
  }
  out.push_back({"double", false, {d}, d, identity});
  for (const Type& from : {i, u, s}) {
    out.push_back({"double", false, {from}, d, doubleOf});
  }
  for (const Type& from : {i, u, d, b, s, by, ts, du}) {
    out.push_back({"string", false, {from}, s, stringOf});
  }
  out.push_back({"bytes", false, {by}, by, identity});
  out.push_back({"bytes", false, {s}, by, bytesOf});
  out.push_back({"bool", false, {b}, b, identity});
  out.push_back({"bool", false, {s}, b, boolOf});
  out.push_back({"dyn", false, {Type::p('A')}, T(TK::Dyn), identity});
  out.push_back({"type", false, {Type::p('A')}, Type::typeOf(Type::p('A')), typeOfValue});
  out.push_back({"duration", false, {du}, du, identity});
  out.push_back({"duration", false, {s}, du, durationOf});
  out.push_back({"timestamp", false, {ts}, ts, identity});
  out.push_back({"timestamp", false, {s}, ts, timestampOf});
  out.push_back({"timestamp", false, {i}, ts, timestampOf});
}

}  // namespace gatehouse::router::cel
