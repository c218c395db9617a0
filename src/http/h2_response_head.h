#pragma once
// Turns a runtime::Response head into the nghttp2_nv list of an HTTP/2 HEADERS frame:
// ":status" first, lowercase names, connection-specific fields dropped (RFC 9113 8.2.2),
// fields Go would refuse to send skipped, content-length when known, Date when missing.
//
// One per session, rebuilt for every head: the name buffer and the nv array keep their
// capacity, so a response head costs no allocation of ours (nghttp2 copies the fields
// into one block of its own when the head is submitted). Values are not copied: the nv
// entries point into the Response and the DateCache, which outlive the submit call.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "http/http_date.h"

namespace gatehouse::http {

class H2ResponseHead {
 public:
  H2ResponseHead() = default;
  H2ResponseHead(const H2ResponseHead&) = delete;
  H2ResponseHead& operator=(const H2ResponseHead&) = delete;

  // `contentLength`: the body length to announce, if known (ignored when the status
  // allows no body). The result points into `res`, `dates` and this object: submit it to
  // nghttp2 before any of them changes.
  void build(const runtime::Response& res, std::optional<uint64_t> contentLength, DateCache& dates);

  [[nodiscard]] const nghttp2_nv* data() const { return nv_.data(); }
  [[nodiscard]] size_t size() const { return nv_.size(); }

 private:
  void add(std::string_view name, std::string_view value);

  std::string text_;  // lowercase names, the status and content-length digits
  std::vector<nghttp2_nv> nv_;
};

// Statuses whose responses never carry content (RFC 9110 6.4.1).
bool bodyAllowedForStatus(int status);

// The length a handler's first Content-Length field declares, when Go's HTTP/2 server takes
// it (strconv.ParseUint: digits only); an invalid one is left out of the head.
std::optional<uint64_t> declaredContentLength(const runtime::HeaderList& headers);

}  // namespace gatehouse::http
