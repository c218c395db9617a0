#include "http/h2_inbound_filter.h"

#include <algorithm>

namespace gatehouse::http {

namespace {
constexpr size_t kFrameHead = 9;
constexpr uint8_t kData = 0x0;
constexpr uint8_t kHeaders = 0x1;
constexpr uint8_t kPriority = 0x2;
constexpr uint8_t kWindowUpdate = 0x8;
constexpr uint8_t kFlagPadded = 0x8;
constexpr uint8_t kFlagPriority = 0x20;
constexpr uint8_t kSettings = 0x4;
constexpr uint8_t kFlagAck = 0x1;
constexpr size_t kSettingLength = 6;
constexpr size_t kMaxJudgedSettings = 32;  // nghttp2 ends a connection that sends more (max_settings)
constexpr size_t kWindowUpdateLength = 4;
constexpr size_t kPriorityLength = 5;

uint32_t be32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

// Where in a frame's payload the bytes it is judged on start, and how many: a stream
// WINDOW_UPDATE's increment, a PRIORITY frame's or a prioritized HEADERS frame's stream
// dependency. {0, 0}: the frame passes unread.
struct Judged {
  size_t at = 0;
  size_t size = 0;
};

Judged judgedBytes(uint8_t type, uint8_t flags, uint32_t stream, size_t length) {
  if (stream == 0) {
    const bool settings = type == kSettings && (flags & kFlagAck) == 0 && length % kSettingLength == 0 &&
                          length <= kMaxJudgedSettings * kSettingLength;
    return settings ? Judged{0, length} : Judged{};
  }
  if (type == kWindowUpdate && length == kWindowUpdateLength) {
    return {0, kWindowUpdateLength};
  }
  if (type == kPriority && length == kPriorityLength) {
    return {0, 4};
  }
  if (type == kHeaders && (flags & kFlagPriority) != 0) {
    const size_t at = (flags & kFlagPadded) != 0 ? 1 : 0;
    return at + 4 <= length ? Judged{at, 4} : Judged{};
  }
  return {};
}
// Go's verdict on a SETTINGS frame (x/net http2): an initial window over 2^31-1 is a
// FLOW_CONTROL_ERROR, checked by its framer first; then, setting by setting, ENABLE_PUSH
// other than 0/1 or a MAX_FRAME_SIZE out of range is a PROTOCOL_ERROR. nghttp2 calls the
// first one a PROTOCOL_ERROR too. 0: valid.
uint32_t settingsVerdict(const char* p, size_t length) {
  constexpr uint32_t kProtocolError = 0x1;
  constexpr uint32_t kFlowControlError = 0x3;
  uint32_t verdict = 0;
  for (size_t at = 0; at + kSettingLength <= length; at += kSettingLength) {
    const auto* u = reinterpret_cast<const uint8_t*>(p + at);
    const unsigned id = (unsigned{u[0]} << 8) | u[1];
    const uint32_t value = be32(p + at + 2);
    if (id == 0x4 && value > 0x7fffffffU) {
      return kFlowControlError;
    }
    const bool bad =
        (id == 0x2 && value > 1) || (id == 0x5 && (value < (1U << 14) || value > (1U << 24) - 1));
    if (bad && verdict == 0) {
      verdict = kProtocolError;
    }
  }
  return verdict;
}
}  // namespace

std::string_view H2InboundFilter::filter(std::string_view in, Findings& found) {
  std::string_view data = in;
  bool own = false;  // data is out_ (writable)
  if (!carry_.empty()) {
    out_.assign(carry_);
    out_.append(in);
    carry_.clear();
    data = out_;
    own = true;
  }
  auto writable = [&]() -> std::string& {
    if (!own) {
      out_.assign(data);
      data = out_;
      own = true;
    }
    return out_;
  };
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
    const auto flags = static_cast<uint8_t>(h[4]);
    const uint32_t stream = be32(h + 5) & 0x7fffffff;
    const Judged judged = judgedBytes(type, flags, stream, length);
    if (type == kData && stream % 2 == 1) {
      found.dataFrames.push_back(static_cast<int32_t>(stream));
    }
    if (judged.size == 0) {
      p += kFrameHead;
      payloadLeft_ = length;
      continue;
    }
    const size_t need = kFrameHead + judged.at + judged.size;
    if (left < need) {
      break;  // the bytes that decide: held back until they came
    }
    const size_t field = p + kFrameHead + judged.at;
    if (type == kSettings) {
      found.settingsVerdicts.push_back(settingsVerdict(data.data() + field, length));
      p += kFrameHead;
      payloadLeft_ = length;
      continue;
    }
    const uint32_t value = be32(data.data() + field) & 0x7fffffff;
    if (type == kWindowUpdate) {
      if (value == 0) {
        writable()[p + 3] = static_cast<char>(kIgnoredType);
        found.zeroWindowUpdates.push_back(static_cast<int32_t>(stream));
      }
    } else if (value == stream) {
      // A dependency on itself: on stream 0 instead (exclusive bit and weight kept).
      std::string& out = writable();
      const char exclusive = static_cast<char>(out[field] & 0x80);
      out[field] = exclusive;
      out[field + 1] = out[field + 2] = out[field + 3] = 0;
      found.selfDependencies.push_back(static_cast<int32_t>(stream));
    }
    p += kFrameHead;
    payloadLeft_ = length;
  }
  if (p < data.size()) {
    carry_.assign(data.substr(p));
  }
  return data.substr(0, p);
}

}  // namespace gatehouse::http
