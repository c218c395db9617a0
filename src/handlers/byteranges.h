#pragma once
// multipart/byteranges bodies for requests with several satisfiable ranges, laid out as
// Go's ServeContent writes them (mime/multipart: parts separated by --boundary, each with
// Content-Range and Content-Type, closed by --boundary--).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::handlers {

struct ByteRange {
  uint64_t start = 0;
  uint64_t length = 0;
};

// 60 hex characters from 30 random bytes, as Go's multipart.Writer picks one.
std::string randomBoundary();

// What precedes the bytes of part `index`: the delimiter, Content-Range and Content-Type.
// Content-Type is written even when empty ("Content-Type: "), as Go writes the nil type
// Caddy's file server leaves for an unknown extension.
std::string byterangesPartHead(size_t index, const ByteRange& r, uint64_t size,
                               const std::string& contentType, const std::string& boundary);
// The closing delimiter after the last part.
std::string byterangesClosing(const std::string& boundary);
// The whole body's length (Go's rangesMIMESize), for Content-Length without reading.
uint64_t byterangesLength(const std::vector<ByteRange>& ranges, uint64_t size, const std::string& contentType,
                          const std::string& boundary);

// The multipart body for `ranges` of the open file `fd` (read with pread); nullopt when a
// read fails. For small sets; larger ones stream through ByterangesBody.
std::optional<std::string> byterangesBody(int fd, const std::vector<ByteRange>& ranges, uint64_t size,
                                          const std::string& contentType, const std::string& boundary);

}  // namespace gatehouse::handlers
