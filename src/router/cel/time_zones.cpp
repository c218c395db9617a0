#include "router/cel/time_zones.h"

#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <unordered_map>
#include <vector>

#include "router/cel/posix_tz.h"

namespace gatehouse::router::cel {

namespace {

// Go's strconv.Atoi: an optional sign then decimal digits only.
std::optional<int64_t> atoi(std::string_view s) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return negative ? -n : n;
}

uint64_t bigEndian(const std::string& data, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v = (v << 8) | static_cast<unsigned char>(data[at + i]);
  }
  return v;
}

struct ZoneType {
  int64_t offset;
  bool dst;
};

// A TZif file's transitions (the 64-bit block when the file has one) and the offset in force
// at `t`: the last transition at or before it, else the first standard-time type, as Go.
std::optional<int64_t> tzifOffset(const std::string& data, int64_t t) {
  auto counts = [&](size_t at) {
    std::vector<uint64_t> c;
    for (size_t i = 0; i < 6; ++i) {
      c.push_back(bigEndian(data, at + 20 + 4 * i, 4));
    }
    return c;  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  };
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) {
    return std::nullopt;
  }
  size_t head = 0;
  size_t width = 4;
  auto c = counts(0);
  if (data[4] >= '2') {
    head = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (data.size() < head + 44) {
      return std::nullopt;
    }
    width = 8;
    c = counts(head);
  }
  const uint64_t timecnt = c[3];
  const uint64_t typecnt = c[4];
  const size_t times = head + 44;
  const size_t indexes = times + timecnt * width;
  const size_t types = indexes + timecnt;
  if (typecnt == 0 || data.size() < types + typecnt * 6) {
    return std::nullopt;
  }
  auto type = [&](uint64_t i) {
    auto off = static_cast<int32_t>(bigEndian(data, types + i * 6, 4));
    return ZoneType{off, data[types + i * 6 + 4] != 0};
  };
  auto when = [&](uint64_t i) {
    uint64_t raw = bigEndian(data, times + i * width, width);
    return width == 8 ? static_cast<int64_t>(raw) : static_cast<int64_t>(static_cast<int32_t>(raw));
  };
  if (timecnt == 0 || t < when(0)) {
    for (uint64_t i = 0; i < typecnt; ++i) {
      if (!type(i).dst) {
        return type(i).offset;
      }
    }
    return type(0).offset;
  }
  uint64_t lo = 0;
  uint64_t hi = timecnt;  // the answer is in [lo, hi)
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    (when(mid) <= t ? lo : hi) = mid;
  }
  if (lo + 1 == timecnt && width == 8) {
    // Past the last transition Go follows the footer's TZ rule ("\nCET-1CEST,M3.5.0,...\n").
    const size_t footer = types + typecnt * 6 + c[5] + c[2] * 12 + c[1] + c[0];
    if (footer + 1 < data.size() && data[footer] == '\n') {
      const size_t close = data.find('\n', footer + 1);
      if (close != std::string::npos && close > footer + 1) {
        if (auto off = posixRuleOffset(std::string_view(data).substr(footer + 1, close - footer - 1), t)) {
          return off;
        }
      }
    }
  }
  auto idx = static_cast<unsigned char>(data[indexes + lo]);
  return idx < typecnt ? std::optional<int64_t>(type(idx).offset) : std::nullopt;
}

// A zone file's bytes, read once per worker thread: an expression runs on the event loop,
// which must not read a file per request. Bounded, as the name may come from the request;
// past the bound a name is read each time (and a file not found is not remembered).
const std::string& zoneFile(const std::string& path) {
  constexpr size_t kMaxZones = 64;
  thread_local std::unordered_map<std::string, std::string> files;
  thread_local std::string uncached;
  if (auto it = files.find(path); it != files.end()) {
    return it->second;
  }
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty() || files.size() >= kMaxZones) {
    uncached = std::move(data);
    return uncached;
  }
  return files.emplace(path, std::move(data)).first->second;
}

std::variant<int64_t, std::string> namedZone(std::string_view zone, int64_t t) {
  if (zone.empty() || zone == "UTC") {
    return int64_t{0};
  }
  std::string file = zone == "Local" ? "/etc/localtime" : "/usr/share/zoneinfo/" + std::string(zone);
  if (zone != "Local" && (zone.find("..") != std::string_view::npos || zone[0] == '/' || zone[0] == '\\')) {
    return std::string("time: invalid location name");
  }
  if (auto off = tzifOffset(zoneFile(file), t)) {
    return *off;
  }
  if (zone == "Local") {
    return int64_t{0};  // Go falls back to UTC without a readable /etc/localtime
  }
  return "unknown time zone " + std::string(zone);
}

}  // namespace

std::variant<int64_t, std::string> zoneOffset(std::string_view zone, int64_t unixSeconds) {
  size_t colon = zone.find(':');
  if (colon == std::string_view::npos) {
    return namedZone(zone, unixSeconds);
  }
  auto hours = atoi(zone.substr(0, colon));
  if (!hours) {
    return "strconv.Atoi: parsing \"" + std::string(zone.substr(0, colon)) + "\": invalid syntax";
  }
  auto minutes = atoi(zone.substr(colon + 1));
  if (!minutes) {
    return "strconv.Atoi: parsing \"" + std::string(zone.substr(colon + 1)) + "\": invalid syntax";
  }
  int64_t offset = zone[0] == '-' ? *hours * 60 - *minutes : *hours * 60 + *minutes;
  return offset * 60;
}

}  // namespace gatehouse::router::cel
