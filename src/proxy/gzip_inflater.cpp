#include "proxy/gzip_inflater.h"

namespace gatehouse::proxy {

GzipInflater::GzipInflater() {
  ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;  // 16: gzip wrapper only
}

GzipInflater::~GzipInflater() {
  if (ok_) {
    inflateEnd(&z_);
  }
}

std::optional<size_t> GzipInflater::feed(std::string_view in,
                                         const std::function<bool(std::string_view)>& out) {
  if (!ok_) {
    return std::nullopt;
  }
  unsigned char buf[16384];
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  moreOutput_ = false;
  for (;;) {
    if (z_.avail_in > 0) {
      midStream_ = true;
    }
    z_.next_out = buf;
    z_.avail_out = sizeof(buf);
    const int rc = inflate(&z_, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      ok_ = false;
      inflateEnd(&z_);
      return std::nullopt;
    }
    const size_t n = sizeof(buf) - z_.avail_out;
    if (rc == Z_STREAM_END) {
      midStream_ = false;
      inflateReset(&z_);  // another member may follow
    }
    // A full output buffer may leave more inside zlib even with no input left.
    const bool full = n == sizeof(buf) && midStream_;
    if (n > 0 && !out(std::string_view(reinterpret_cast<char*>(buf), n))) {
      moreOutput_ = full;
      break;
    }
    if (z_.avail_in == 0 && !full) {
      break;
    }
    if (rc == Z_BUF_ERROR) {
      break;  // no progress possible: needs more input
    }
  }
  return in.size() - z_.avail_in;
}

}  // namespace gatehouse::proxy
