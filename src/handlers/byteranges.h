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

// The multipart body for `ranges` of the open file `fd` (read with pread); nullopt when a
// read fails. `contentType` may be empty (no Content-Type in the parts).
std::optional<std::string> byterangesBody(int fd, const std::vector<ByteRange>& ranges, uint64_t size,
                                          const std::string& contentType, const std::string& boundary);

}  // namespace gatehouse::handlers
