#pragma once
// Streaming gunzip for the transport's transparent compression (Go's http.Transport: the
// proxy asked the upstream for gzip on the client's behalf, so it decodes the answer).
// Concatenated gzip members decode as one stream, as Go's gzip.Reader does.

#include <zlib.h>

#include <functional>
#include <optional>
#include <string_view>

namespace gatehouse::proxy {

class GzipInflater {
 public:
  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Decodes `in`, handing each decoded piece (at most 16 KiB) to `out`, which returns false
  // once its reader is full: decoding stops there, so a small input that inflates hugely
  // (a gzip bomb) never sits in memory whole. Returns the input bytes consumed (call again
  // with the rest, or with nothing while moreOutput()), or nullopt on corrupt data.
  std::optional<size_t> feed(std::string_view in, const std::function<bool(std::string_view)>& out);
  // The input so far ends a complete gzip stream (or there was none at all).
  [[nodiscard]] bool complete() const { return !midStream_; }
  // Decoding stopped with zlib perhaps still holding output for input already consumed.
  [[nodiscard]] bool moreOutput() const { return moreOutput_; }

 private:
  z_stream z_{};
  bool ok_ = false;
  bool midStream_ = false;
  bool moreOutput_ = false;
};

}  // namespace gatehouse::proxy
