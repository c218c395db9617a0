#pragma once
// Turns a runtime::Response head into the nghttp2_nv list of an HTTP/2 HEADERS frame:
// ":status" first, lowercase names, connection-specific fields dropped (RFC 9113 8.2.2),
// fields Go would refuse to send skipped, content-length when known, Date when missing.

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
  // `contentLength`: the body length to announce, if known (ignored when the status
  // allows no body). The head keeps pointers into its own storage: keep it alive until
  // nghttp2_submit_response() returned (nghttp2 copies the fields).
  H2ResponseHead(const runtime::Response& res, std::optional<uint64_t> contentLength, DateCache& dates);
  H2ResponseHead(const H2ResponseHead&) = delete;
  H2ResponseHead& operator=(const H2ResponseHead&) = delete;

  [[nodiscard]] const nghttp2_nv* data() const { return nv_.data(); }
  [[nodiscard]] size_t size() const { return nv_.size(); }

 private:
  void add(std::string name, std::string value);

  std::vector<std::pair<std::string, std::string>> fields_;
  std::vector<nghttp2_nv> nv_;
};

// Statuses whose responses never carry content (RFC 9110 6.4.1).
bool bodyAllowedForStatus(int status);

}  // namespace gatehouse::http
