#include "proxy/xxhash64.h"

#include <cstring>

namespace gatehouse::proxy {

namespace {

constexpr uint64_t kP1 = 11400714785074694791ULL;
constexpr uint64_t kP2 = 14029467366897019727ULL;
constexpr uint64_t kP3 = 1609587929392839161ULL;
constexpr uint64_t kP4 = 9650029242287828579ULL;
constexpr uint64_t kP5 = 2870177450012600261ULL;

uint64_t rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

// Little-endian loads, whatever the host order.
uint64_t load64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | p[i];
  }
  return v;
}

uint64_t load32(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | p[i];
  }
  return v;
}

uint64_t mix(uint64_t acc, uint64_t input) {
  acc += input * kP2;
  acc = rotl(acc, 31);
  return acc * kP1;
}

uint64_t merge(uint64_t acc, uint64_t v) {
  acc ^= mix(0, v);
  return acc * kP1 + kP4;
}

}  // namespace

uint64_t xxhash64(std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const size_t n = data.size();
  size_t i = 0;
  uint64_t h = 0;
  if (n >= 32) {
    uint64_t v1 = kP1 + kP2;
    uint64_t v2 = kP2;
    uint64_t v3 = 0;
    uint64_t v4 = 0 - kP1;
    for (; i + 32 <= n; i += 32) {
      v1 = mix(v1, load64(p + i));
      v2 = mix(v2, load64(p + i + 8));
      v3 = mix(v3, load64(p + i + 16));
      v4 = mix(v4, load64(p + i + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = kP5;
  }
  h += n;
  for (; i + 8 <= n; i += 8) {
    h ^= mix(0, load64(p + i));
    h = rotl(h, 27) * kP1 + kP4;
  }
  if (i + 4 <= n) {
    h ^= load32(p + i) * kP1;
    h = rotl(h, 23) * kP2 + kP3;
    i += 4;
  }
  for (; i < n; ++i) {
    h ^= p[i] * kP5;
    h = rotl(h, 11) * kP1;
  }
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

}  // namespace gatehouse::proxy
