#include "handlers/base64.h"

#include <array>
#include <cstdint>

namespace gatehouse::handlers {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> makeReverse() {
  std::array<int8_t, 256> r{};
  for (auto& v : r) {
    v = -1;
  }
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    r[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return r;
}

constexpr auto kReverse = makeReverse();

}  // namespace

std::optional<std::string> base64Decode(std::string_view in) {
  std::string clean;
  clean.reserve(in.size());
  for (char c : in) {
    if (c != '\r' && c != '\n') {
      clean += c;
    }
  }
  if (clean.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(clean.size() / 4 * 3);
  for (size_t i = 0; i < clean.size(); i += 4) {
    const bool last = i + 4 == clean.size();
    int pad = 0;
    uint32_t acc = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = clean[i + j];
      if (c == '=') {
        // Padding only at the end of the last quantum, at most two characters.
        if (!last || j < 2 || (j == 2 && clean[i + 3] != '=')) {
          return std::nullopt;
        }
        ++pad;
        acc <<= 6;
        continue;
      }
      const int8_t v = kReverse[static_cast<unsigned char>(c)];
      if (v < 0 || pad > 0) {
        return std::nullopt;
      }
      acc = (acc << 6) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>((acc >> 16) & 0xff);
    if (pad < 2) {
      out += static_cast<char>((acc >> 8) & 0xff);
    }
    if (pad < 1) {
      out += static_cast<char>(acc & 0xff);
    }
  }
  return out;
}

std::string base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                       static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) {
      v |= static_cast<uint8_t>(in[i + 1]) << 8;
    }
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace gatehouse::handlers
