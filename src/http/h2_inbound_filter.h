#pragma once
// What a client sends, seen frame by frame before nghttp2 reads it, for the one case where
// Go's server (caddy 2.6.2) and nghttp2 part ways that no nghttp2 option or callback can
// reach: a WINDOW_UPDATE with a zero increment on a stream. RFC 9113 6.9 makes that a
// stream error; Go resets the stream (RST_STREAM PROTOCOL_ERROR) and serves the rest of
// the connection, nghttp2 ends the whole connection (GOAWAY PROTOCOL_ERROR). Such a frame
// is turned into an unknown frame type (which nghttp2 ignores, or refuses as Go does inside
// a header block) and its stream is named for the session to reset.
// Costs: a jump from frame head to frame head; bytes are copied only when a frame head is
// split across reads (at most 12 held back) or a frame is rewritten.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

class H2InboundFilter {
 public:
  // The bytes for nghttp2, `in` itself or a buffer of the filter's (valid until the next
  // call); streams to reset are appended to `resets`.
  std::string_view filter(std::string_view in, std::vector<int32_t>& resets);

  // The frame type a zero-increment stream WINDOW_UPDATE becomes (unassigned).
  static constexpr uint8_t kIgnoredType = 0xfa;

 private:
  size_t prefaceLeft_ = 24;  // the client's connection preface comes first
  size_t payloadLeft_ = 0;   // of the frame being passed through
  std::string carry_;        // a frame head (or a stream WINDOW_UPDATE) not complete yet
  std::string out_;
};

}  // namespace gatehouse::http
