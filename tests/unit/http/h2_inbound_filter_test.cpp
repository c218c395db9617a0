#include "http/h2_inbound_filter.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using gatehouse::http::H2InboundFilter;

namespace {
const std::string kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string frame(uint8_t type, uint32_t stream, const std::string& payload, uint8_t flags = 0) {
  std::string f;
  f += static_cast<char>(payload.size() >> 16);
  f += static_cast<char>(payload.size() >> 8);
  f += static_cast<char>(payload.size());
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  for (int i = 3; i >= 0; --i) {
    f += static_cast<char>(stream >> (8 * i));
  }
  return f + payload;
}

std::string be32(uint32_t v) {
  std::string p;
  for (int i = 3; i >= 0; --i) {
    p += static_cast<char>(v >> (8 * i));
  }
  return p;
}

std::string windowUpdate(uint32_t stream, uint32_t increment) {
  return frame(0x8, stream, be32(increment));
}

// The filter's output for `in` fed in pieces of `step` bytes, and the streams it named.
std::string feed(const std::string& in, size_t step, H2InboundFilter::Findings& found) {
  H2InboundFilter f;
  std::string out;
  for (size_t at = 0; at < in.size(); at += step) {
    out += f.filter(std::string_view(in).substr(at, step), found);
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
    H2InboundFilter::Findings found;
    CAPTURE(step);
    CHECK(feed(in, step, found) == want);
    CHECK(found.zeroWindowUpdates == std::vector<int32_t>{1, 9});
    CHECK(found.dataFrames == std::vector<int32_t>{1});
  }
}

TEST_CASE("bytes pass unchanged and uncopied without a zero WINDOW_UPDATE", "[http2][h2filter]") {
  const std::string in =
      kPreface + frame(0x4, 0, "") + frame(0x0, 1, std::string(100, 'x')) + windowUpdate(1, 1);
  H2InboundFilter f;
  H2InboundFilter::Findings found;
  const std::string_view out = f.filter(in, found);
  CHECK(out.data() == in.data());
  CHECK(out.size() == in.size());
  CHECK(found.zeroWindowUpdates.empty());
  CHECK(found.selfDependencies.empty());
  CHECK(found.dataFrames == std::vector<int32_t>{1});
}

TEST_CASE("a WINDOW_UPDATE of the wrong length is left to nghttp2", "[http2][h2filter]") {
  const std::string in = kPreface + frame(0x8, 1, std::string(5, '\0'));
  H2InboundFilter::Findings found;
  CHECK(feed(in, 3, found) == in);
  CHECK(found.zeroWindowUpdates.empty());
}

TEST_CASE("a stream made to depend on itself depends on stream 0, in any split", "[http2][h2filter]") {
  // Go resets such a stream (RST_STREAM PROTOCOL_ERROR) where nghttp2 ends the connection.
  const std::string block = "\x82\x86\x84";  // an HPACK block: its bytes are never read
  const std::string in = kPreface + frame(0x2, 3, be32(3) + "\x0f") +     // PRIORITY on itself
                         frame(0x2, 5, be32(0x80000005U) + "\x0f") +      // exclusive, on itself
                         frame(0x2, 7, be32(3) + "\x0f") +                // on another stream
                         frame(0x1, 9, be32(9) + "\x0f" + block, 0x24) +  // HEADERS, priority on itself
                         frame(0x1, 11, "\x02" + be32(11) + "\x0f" + block + "\0\0", 0x2c) +  // padded too
                         frame(0x1, 13, be32(13) + block, 0x04);  // no priority flag: bytes only
  std::string want = in;
  const size_t first = kPreface.size() + 9;
  want.replace(first, 4, be32(0));
  want.replace(first + 14, 4, be32(0x80000000U));
  const size_t headers = first + 14 * 3;  // the HEADERS payloads: 9 at first, 11 (padded) after it
  want.replace(headers, 4, be32(0));
  want.replace(headers + 4 + 1 + block.size() + 9 + 1, 4, be32(0));
  for (size_t step : {size_t{1}, size_t{3}, size_t{9}, size_t{10}, size_t{14}, in.size()}) {
    H2InboundFilter::Findings found;
    CAPTURE(step);
    CHECK(feed(in, step, found) == want);
    CHECK(found.zeroWindowUpdates.empty());
    CHECK(found.selfDependencies == std::vector<int32_t>{3, 5, 9, 11});
  }
}
