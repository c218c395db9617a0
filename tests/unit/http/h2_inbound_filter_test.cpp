#include "http/h2_inbound_filter.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using gatehouse::http::H2InboundFilter;

namespace {
const std::string kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string frame(uint8_t type, uint32_t stream, const std::string& payload) {
  std::string f;
  f += static_cast<char>(payload.size() >> 16);
  f += static_cast<char>(payload.size() >> 8);
  f += static_cast<char>(payload.size());
  f += static_cast<char>(type);
  f += '\0';
  for (int i = 3; i >= 0; --i) {
    f += static_cast<char>(stream >> (8 * i));
  }
  return f + payload;
}

std::string windowUpdate(uint32_t stream, uint32_t increment) {
  std::string p;
  for (int i = 3; i >= 0; --i) {
    p += static_cast<char>(increment >> (8 * i));
  }
  return frame(0x8, stream, p);
}

// The filter's output for `in` fed in pieces of `step` bytes, and the streams it named.
std::string feed(const std::string& in, size_t step, std::vector<int32_t>& resets) {
  H2InboundFilter f;
  std::string out;
  for (size_t at = 0; at < in.size(); at += step) {
    out += f.filter(std::string_view(in).substr(at, step), resets);
  }
  return out;
}
}  // namespace

TEST_CASE("a zero-increment stream WINDOW_UPDATE becomes an ignored frame, in any split",
          "[http2][h2filter]") {
  // The payload of the DATA frame holds bytes that look like a zero WINDOW_UPDATE: only
  // frame heads count.
  const std::string data = frame(0x0, 1, windowUpdate(5, 0));
  const std::string in = kPreface + frame(0x4, 0, "") + windowUpdate(0, 0) + windowUpdate(3, 7) + data +
                         windowUpdate(1, 0) + windowUpdate(9, 0x80000000U) + frame(0x6, 0, "12345678");
  std::string want = in;
  const size_t at = kPreface.size() + 9 + 13 + 13 + data.size();
  want[at + 3] = static_cast<char>(H2InboundFilter::kIgnoredType);
  want[at + 13 + 3] = static_cast<char>(H2InboundFilter::kIgnoredType);  // the reserved bit is no increment
  for (size_t step : {size_t{1}, size_t{2}, size_t{5}, size_t{12}, size_t{13}, in.size()}) {
    std::vector<int32_t> resets;
    CAPTURE(step);
    CHECK(feed(in, step, resets) == want);
    CHECK(resets == std::vector<int32_t>{1, 9});
  }
}

TEST_CASE("bytes pass unchanged and uncopied without a zero WINDOW_UPDATE", "[http2][h2filter]") {
  const std::string in =
      kPreface + frame(0x4, 0, "") + frame(0x0, 1, std::string(100, 'x')) + windowUpdate(1, 1);
  H2InboundFilter f;
  std::vector<int32_t> resets;
  const std::string_view out = f.filter(in, resets);
  CHECK(out.data() == in.data());
  CHECK(out.size() == in.size());
  CHECK(resets.empty());
}

TEST_CASE("a WINDOW_UPDATE of the wrong length is left to nghttp2", "[http2][h2filter]") {
  const std::string in = kPreface + frame(0x8, 1, std::string(5, '\0'));
  std::vector<int32_t> resets;
  CHECK(feed(in, 3, resets) == in);
  CHECK(resets.empty());
}
