#include "handlers/trace_context.h"

#include <openssl/rand.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>

namespace gatehouse::handlers {

namespace {

bool isLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool lowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), isLowerHex);
}

bool allZero(std::string_view hex) {
  return std::all_of(hex.begin(), hex.end(), [](char c) { return c == '0'; });
}

int hexByte(std::string_view two) {
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  return v(two[0]) * 16 + v(two[1]);
}

// otel-go's tracestate member: a key (simple or tenant@system), '=', a value of printable
// ASCII without ',' and '=' that does not end in a space; surrounding whitespace allowed.
const re2::RE2& memberRegexp() {
  static const re2::RE2 re(
      R"(^\s*([a-z][_0-9a-z\-\*\/]{0,255}|[a-z0-9][_0-9a-z\-\*\/]{0,240}@[a-z][_0-9a-z\-\*\/]{0,13}))"
      R"(=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])\s*$)");
  return re;
}

constexpr size_t kMaxTraceStateMembers = 32;

}  // namespace

std::optional<TraceParent> parseTraceParent(std::string_view v) {
  // version "-" trace-id "-" parent-id "-" flags, then anything after a further "-".
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' || (v.size() > 55 && v[55] != '-')) {
    return std::nullopt;
  }
  const std::string_view version = v.substr(0, 2);
  const std::string_view traceId = v.substr(3, 32);
  const std::string_view spanId = v.substr(36, 16);
  const std::string_view flags = v.substr(53, 2);
  if (!lowerHex(version) || !lowerHex(traceId) || !lowerHex(spanId) || !lowerHex(flags)) {
    return std::nullopt;
  }
  const int ver = hexByte(version);
  const int opts = hexByte(flags);
  if (ver == 0xff || (ver == 0 && opts > 2) || allZero(traceId) || allZero(spanId)) {
    return std::nullopt;
  }
  return TraceParent{std::string(traceId), std::string(spanId), (opts & 1) != 0};
}

std::string formatTraceParent(std::string_view traceId, std::string_view spanId, bool sampled) {
  std::string out = "00-";
  out.append(traceId);
  out += '-';
  out.append(spanId);
  out += sampled ? "-01" : "-00";
  return out;
}

std::optional<std::string> normalizeTraceState(std::string_view value) {
  std::string out;
  std::set<std::string> keys;
  size_t members = 0;
  size_t start = 0;
  while (start <= value.size()) {
    const size_t comma = value.find(',', start);
    const std::string_view member =
        value.substr(start, comma == std::string_view::npos ? value.npos : comma - start);
    start = comma == std::string_view::npos ? value.size() + 1 : comma + 1;
    if (member.empty()) {
      continue;
    }
    std::string key;
    std::string val;
    if (!re2::RE2::FullMatch(re2::StringPiece(member.data(), member.size()), memberRegexp(), &key, &val) ||
        !keys.insert(key).second || ++members > kMaxTraceStateMembers) {
      return std::nullopt;
    }
    if (!out.empty()) {
      out += ',';
    }
    out += key;
    out += '=';
    out += val;
  }
  return out;
}

std::string randomHexId(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<unsigned char, 16> buf{};
  bytes = std::min(bytes, buf.size());
  do {
    if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
  } while (std::all_of(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(bytes),
                       [](unsigned char c) { return c == 0; }));
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; ++i) {
    out += kHex[buf[i] >> 4];
    out += kHex[buf[i] & 15];
  }
  return out;
}

}  // namespace gatehouse::handlers
