#pragma once
// Streaming gunzip for the transport's transparent compression (Go's http.Transport: the
// proxy asked the upstream for gzip on the client's behalf, so it decodes the answer).
// Concatenated gzip members decode as one stream, as Go's gzip.Reader does.

#include <zlib.h>

#include <functional>
#include <string_view>

namespace gatehouse::proxy {

class GzipInflater {
 public:
  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Decodes `in`, handing each decoded piece to `out`; false on corrupt data.
  bool feed(std::string_view in, const std::function<void(std::string_view)>& out);
  // The input so far ends a complete gzip stream (or there was none at all).
  [[nodiscard]] bool complete() const { return !midStream_; }

 private:
  z_stream z_{};
  bool ok_ = false;
  bool midStream_ = false;
};

}  // namespace gatehouse::proxy
