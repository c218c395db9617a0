#pragma once
// Collects one HTTP/2 request header block (pseudo-header fields plus fields) and maps it
// onto a runtime::Request the way Go's http2 server builds an http.Request. nghttp2 has
// already enforced RFC 9113's framing rules (pseudo-header order and presence, lowercase
// names, no connection-specific fields, content-length syntax, field values); what is left
// here is Go's field-value check on pseudo-header values, the size limit and the mapping.

#include <cstddef>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

class H2RequestHead {
 public:
  explicit H2RequestHead(size_t maxListBytes) : maxListBytes_(maxListBytes) {}

  // One field as nghttp2 decoded it. Beyond the size limit fields are counted, not kept.
  void add(std::string_view name, std::string_view value);

  // The header list exceeded SETTINGS_MAX_HEADER_LIST_SIZE: Go answers 431.
  [[nodiscard]] bool tooLarge() const { return size_ > maxListBytes_; }
  [[nodiscard]] bool invalid() const { return invalid_; }
  [[nodiscard]] size_t size() const { return size_; }

  // Fills method, host, target, headers, version and body framing. `endStream`: the
  // HEADERS frame ended the stream (no body). False on a request Go would reset.
  bool mapTo(runtime::Request& req, bool endStream);
  // The request said "Expect: 100-continue" (mapTo took the field out, as Go's http2 server
  // does: a proxied request does not forward it).
  [[nodiscard]] bool expectsContinue() const { return expectsContinue_; }
  // Empty again for the next header block, keeping the buffers (a recycled stream).
  void clear();

 private:
  size_t maxListBytes_;
  size_t size_ = 0;
  bool invalid_ = false;
  bool expectsContinue_ = false;
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
