// UpstreamConnection's part in response trailers: the trailer section of a chunked
// HTTP/1.1 body, read by llhttp's header callbacks once the head is done, handed to the
// listener field by field before the end (Go's transport merges them, announced in
// `Trailer` or not, into Response.Trailer, which its ReverseProxy passes on).

#include "http/field_syntax.h"
#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

int UpstreamConnection::onTrailerField(const char* at, size_t len) {
  headerBytes_ += len;
  if (headerBytes_ > maxHeaderBytes_) {
    return -1;  // the trailer section has the head's limit, so it cannot grow without bound
  }
  if (lastWasValue_) {
    flushTrailer();
    if (dead_ || listener_ == nullptr) {
      return -1;
    }
    trailer_ = std::make_unique<TrailerField>();
    lastWasValue_ = false;
  }
  trailer_->name.append(at, len);
  return 0;
}

int UpstreamConnection::onTrailerValue(const char* at, size_t len) {
  headerBytes_ += len;
  if (headerBytes_ > maxHeaderBytes_) {
    return -1;
  }
  if (trailer_) {
    trailer_->value.append(at, len);
  }
  lastWasValue_ = true;
  return 0;
}

void UpstreamConnection::flushTrailer() {
  if (!trailer_) {
    return;
  }
  const std::unique_ptr<TrailerField> field = std::move(trailer_);
  if (listener_ != nullptr && !dead_) {
    listener_->onUpstreamTrailer(field->name, field->value);
  }
}

// As Go's fixTrailer: Transfer-Encoding, Trailer and Content-Length may not be trailers.
bool UpstreamConnection::badTrailerAnnounced() {
  for (const auto& f : head_.headers) {
    if (!runtime::equalsIgnoreCase(f.name, "Trailer")) {
      continue;
    }
    bool bad = false;
    http::forEachListItem(f.value, [&](std::string_view name) {
      bad = runtime::equalsIgnoreCase(name, "Transfer-Encoding") ||
            runtime::equalsIgnoreCase(name, "Trailer") || runtime::equalsIgnoreCase(name, "Content-Length");
      if (bad) {
        failure_ = "bad trailer key \"" + runtime::canonicalHeaderName(std::string(name)) + "\"";
      }
      return !bad;
    });
    if (bad) {
      return true;
    }
  }
  return false;
}

}  // namespace gatehouse::proxy
