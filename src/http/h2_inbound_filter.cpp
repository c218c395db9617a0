#include "http/h2_inbound_filter.h"

#include <algorithm>

namespace gatehouse::http {

namespace {
constexpr size_t kFrameHead = 9;
constexpr uint8_t kWindowUpdate = 0x8;
constexpr size_t kWindowUpdateLength = 4;

uint32_t be32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
}  // namespace

std::string_view H2InboundFilter::filter(std::string_view in, std::vector<int32_t>& resets) {
  std::string_view data = in;
  bool own = false;  // data is out_ (writable)
  if (!carry_.empty()) {
    out_.assign(carry_);
    out_.append(in);
    carry_.clear();
    data = out_;
    own = true;
  }
  size_t p = 0;
  while (p < data.size()) {
    const size_t left = data.size() - p;
    if (prefaceLeft_ > 0 || payloadLeft_ > 0) {
      size_t& skip = prefaceLeft_ > 0 ? prefaceLeft_ : payloadLeft_;
      const size_t n = std::min(skip, left);
      skip -= n;
      p += n;
      continue;
    }
    if (left < kFrameHead) {
      break;  // held back until the head is whole
    }
    const char* h = data.data() + p;
    const auto* u = reinterpret_cast<const uint8_t*>(h);
    const size_t length = (size_t{u[0]} << 16) | (size_t{u[1]} << 8) | u[2];
    const auto type = static_cast<uint8_t>(h[3]);
    const uint32_t stream = be32(h + 5) & 0x7fffffff;
    if (type != kWindowUpdate || stream == 0 || length != kWindowUpdateLength) {
      p += kFrameHead;
      payloadLeft_ = length;
      continue;
    }
    if (left < kFrameHead + kWindowUpdateLength) {
      break;  // its increment decides: held back until it came
    }
    if ((be32(h + kFrameHead) & 0x7fffffff) == 0) {
      if (!own) {
        out_.assign(data);
        data = out_;
        own = true;
      }
      out_[p + 3] = static_cast<char>(kIgnoredType);
      resets.push_back(static_cast<int32_t>(stream));
    }
    p += kFrameHead + kWindowUpdateLength;
  }
  if (p < data.size()) {
    carry_.assign(data.substr(p));
  }
  return data.substr(0, p);
}

}  // namespace gatehouse::http
