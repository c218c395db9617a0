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

bool GzipInflater::feed(std::string_view in, const std::function<void(std::string_view)>& out) {
  if (!ok_) {
    return false;
  }
  unsigned char buf[16384];
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  while (z_.avail_in > 0) {
    midStream_ = true;
    z_.next_out = buf;
    z_.avail_out = sizeof(buf);
    const int rc = inflate(&z_, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      ok_ = false;
      inflateEnd(&z_);
      return false;
    }
    const size_t n = sizeof(buf) - z_.avail_out;
    if (n > 0) {
      out(std::string_view(reinterpret_cast<char*>(buf), n));
    }
    if (rc == Z_STREAM_END) {
      midStream_ = false;
      inflateReset(&z_);  // another member may follow
    } else if (rc == Z_BUF_ERROR && n == 0) {
      break;  // needs more input
    }
  }
  // Output may still be pending inside zlib with all input consumed: drain it.
  while (midStream_) {
    z_.next_out = buf;
    z_.avail_out = sizeof(buf);
    const int rc = inflate(&z_, Z_NO_FLUSH);
    const size_t n = sizeof(buf) - z_.avail_out;
    if (n > 0) {
      out(std::string_view(reinterpret_cast<char*>(buf), n));
    }
    if (rc == Z_STREAM_END) {
      midStream_ = false;
      inflateReset(&z_);
      break;
    }
    if (rc != Z_OK || n == 0) {
      break;
    }
  }
  return true;
}

}  // namespace gatehouse::proxy
