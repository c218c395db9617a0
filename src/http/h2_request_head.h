#pragma once
// Collects one HTTP/2 request header block (pseudo-header fields plus fields) and maps it
// onto a runtime::Request the way Go's http2 server (caddy 2.6.2) builds an http.Request.
// nghttp2's own HTTP messaging checks are off (h2_callbacks.cpp): they refuse requests Go
// serves (two Content-Length fields, an empty :authority, a :path with a space, a
// Content-Length on a request without body...). The checks are Go's instead, made here:
// field names (lowercase tokens) and values (no control bytes), pseudo-header fields (known,
// once each, before the others, the ones the method needs), Connection-specific fields and
// TE (Go's 400). (Go's later "HEAD with a body" reset is not in caddy 2.6.2's x/net.) Two of nghttp2's stay,
// stricter than Go, because the values reach proxied requests: :method must be a token and :authority/Host
// may only hold bytes a host can (Go's transport refuses the others; its server serves them).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

class H2RequestHead {
 public:
  explicit H2RequestHead(size_t maxListBytes) : maxListBytes_(maxListBytes) {}

  // One field as nghttp2 decoded it. Beyond the size limit fields are counted, not kept
  // (nor checked, as Go stops looking at a truncated list).
  void add(std::string_view name, std::string_view value);
  // A trailer field: false when Go resets the stream for it (a pseudo-header field, a name
  // or value it refuses in any header block).
  static bool validTrailer(std::string_view name, std::string_view value);

  // The header list exceeded SETTINGS_MAX_HEADER_LIST_SIZE: Go answers 431.
  [[nodiscard]] bool tooLarge() const { return size_ > maxListBytes_; }
  [[nodiscard]] bool invalid() const { return invalid_; }
  // Go's framer itself refuses this block (a bad field name or value, an unknown, doubled or
  // misplaced pseudo-header field, :protocol but on a WebSocket's extended CONNECT): there
  // the stream never opens, so later DATA or WINDOW_UPDATE frames on it end the connection.
  [[nodiscard]] bool framerRefused() const;
  [[nodiscard]] size_t size() const { return size_; }

  // Fills method, host, target, headers, version and body framing. `endStream`: the
  // HEADERS frame ended the stream (no body). False on a request Go would reset.
  bool mapTo(runtime::Request& req, bool endStream);
  // The body length the request declares, as Go reads it: without END_STREAM on the head,
  // the first Content-Length field as an unsigned 63-bit decimal, 0 when it is no such
  // number, -1 without the field; 0 with END_STREAM. DATA beyond it resets the stream.
  [[nodiscard]] int64_t declaredLength(bool endStream) const;
  // Set by mapTo: why Go answers 400 without running the handler (a connection-specific
  // field, a TE other than "trailers"), its error text; empty otherwise.
  [[nodiscard]] const std::string& badRequest() const { return badRequest_; }
  // The request said "Expect: 100-continue" (mapTo took the field out, as Go's http2 server
  // does: a proxied request does not forward it).
  [[nodiscard]] bool expectsContinue() const { return expectsContinue_; }
  // Empty again for the next header block, keeping the buffers (a recycled stream).
  void clear();

 private:
  size_t maxListBytes_;
  size_t size_ = 0;
  [[nodiscard]] bool extendedConnect() const;

  bool invalid_ = false;
  bool framerRefused_ = false;
  bool truncated_ = false;   // over the size limit: later fields neither kept nor checked
  bool sawRegular_ = false;  // a pseudo-header field after this is malformed
  bool hasProtocol_ = false;
  unsigned seenPseudo_ = 0;  // one bit per pseudo-header field: a second one is malformed
  bool expectsContinue_ = false;
  std::string badRequest_;
  std::string method_;
  std::string scheme_;
  std::string authority_;
  std::string path_;
  std::string protocol_;
  std::string cookie_;  // every cookie field, joined with "; " (RFC 9113 8.2.3)
  size_t cookieFields_ = 0;
  runtime::HeaderList fields_;
};

}  // namespace gatehouse::http
