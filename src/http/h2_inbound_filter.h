#pragma once
// What a client sends, seen frame by frame before nghttp2 reads it, for the cases where
// Go's server (caddy 2.6.2) and nghttp2 part ways that no nghttp2 option or callback can
// reach. Each is a stream error in RFC 9113 that nghttp2 makes a connection error (GOAWAY
// PROTOCOL_ERROR) and Go a reset of that stream alone (RST_STREAM PROTOCOL_ERROR), the
// connection serving on:
// - a WINDOW_UPDATE with a zero increment on a stream (6.9): the frame becomes an unknown
//   frame type (which nghttp2 ignores, or refuses as Go does inside a header block);
// - a stream made to depend on itself (5.3.1), by a PRIORITY frame or a HEADERS frame's
//   priority: the dependency is rewritten to stream 0 in place.
// Their streams are named for the session to reset. DATA frames are named too.
// Costs: a jump from frame head to frame head; bytes are copied only when a frame head is
// split across reads (at most 15 held back; a SETTINGS frame's up to 32 entries) or a frame
// is rewritten.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

class H2InboundFilter {
 public:
  // What a read held, appended to by filter(): streams to reset, and the stream of every
  // DATA frame on a client stream (the session judges those against Go's stream states,
  // also the ones nghttp2 drops unseen).
  struct Findings {
    std::vector<int32_t> zeroWindowUpdates;
    std::vector<int32_t> selfDependencies;
    std::vector<int32_t> dataFrames;
    // Go's error code for each SETTINGS frame nghttp2 will read (0: valid), in order.
    std::vector<uint32_t> settingsVerdicts;
  };

  // The bytes for nghttp2, `in` itself or a buffer of the filter's (valid until the next
  // call).
  std::string_view filter(std::string_view in, Findings& found);

  // The frame type a zero-increment stream WINDOW_UPDATE becomes (unassigned).
  static constexpr uint8_t kIgnoredType = 0xfa;

 private:
  size_t prefaceLeft_ = 24;  // the client's connection preface comes first
  size_t payloadLeft_ = 0;   // of the frame being passed through
  std::string carry_;        // a frame head (with the payload bytes it is judged on) not complete yet
  std::string out_;
};

}  // namespace gatehouse::http
