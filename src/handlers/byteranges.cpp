#include "handlers/byteranges.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <array>

namespace gatehouse::handlers {

std::string randomBoundary() {
  std::array<unsigned char, 30> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // A boundary only has to be absent from the body; a fixed one still parses.
    return std::string(60, '7');
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string byterangesPartHead(size_t index, const ByteRange& r, uint64_t size,
                               const std::string& contentType, const std::string& boundary) {
  std::string out(index == 0 ? "--" : "\r\n--");
  out.append(boundary).append("\r\n");
  out.append("Content-Range: bytes ")
      .append(std::to_string(r.start))
      .append("-")
      .append(std::to_string(r.start + r.length - 1))
      .append("/")
      .append(std::to_string(size))
      .append("\r\n");
  out.append("Content-Type: ").append(contentType).append("\r\n\r\n");
  return out;
}

std::string byterangesClosing(const std::string& boundary) {
  return "\r\n--" + boundary + "--\r\n";
}

uint64_t byterangesLength(const std::vector<ByteRange>& ranges, uint64_t size, const std::string& contentType,
                          const std::string& boundary) {
  uint64_t total = byterangesClosing(boundary).size();
  for (size_t i = 0; i < ranges.size(); ++i) {
    total += byterangesPartHead(i, ranges[i], size, contentType, boundary).size() + ranges[i].length;
  }
  return total;
}

std::optional<std::string> byterangesBody(int fd, const std::vector<ByteRange>& ranges, uint64_t size,
                                          const std::string& contentType, const std::string& boundary) {
  std::string out;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const auto& r = ranges[i];
    out.append(byterangesPartHead(i, r, size, contentType, boundary));
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(r.length));
    ssize_t n = ::pread(fd, out.data() + at, static_cast<size_t>(r.length), static_cast<off_t>(r.start));
    if (n != static_cast<ssize_t>(r.length)) {
      return std::nullopt;
    }
  }
  out.append(byterangesClosing(boundary));
  return out;
}

}  // namespace gatehouse::handlers
