#pragma once
// What a request asks of a file beyond its path, read as Go's net/http reads it for
// http.ServeContent: the Range header and the entity tags of If-Match / If-None-Match.

#include <cstdint>
#include <string_view>
#include <vector>

#include "handlers/byteranges.h"

namespace gatehouse::handlers {

enum class RangeResult { None, One, Invalid, NoOverlap, Several };

// The Range header as Go's net/http parseRange reads it: "invalid range" (Invalid) for a
// malformed header or unit, "failed to overlap" (NoOverlap) when every range starts past the
// end, Several (multipart/byteranges) for more than one satisfiable range; ranges that add up
// to more than the file are ignored (None), as Go does.
RangeResult parseRange(std::string_view h, uint64_t size, ByteRange& out, std::vector<ByteRange>& all);

// Whether a comma-separated If-Match / If-None-Match header names `etag` ("*" names any);
// `weak` compares without the W/ prefix (If-None-Match), else strong tags only.
bool etagMatches(std::string_view header, std::string_view etag, bool weak);

}  // namespace gatehouse::handlers
