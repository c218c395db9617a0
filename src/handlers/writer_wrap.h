#pragma once
// Output stages whose Caddy counterparts wrap the response writer without passing on Go's
// io.ReaderFrom (encode's compressing writer, templates' buffering recorder). Go's
// response.ReadFrom sends the head after copying a body's first 512 bytes, so a body with
// no Content-Length (a precompressed sidecar) copied straight into Go's writer goes out
// chunked from 512 bytes on HTTP/1; behind such a wrapper Go's 2048-byte buffer decides
// instead. Caddy's other wrappers (deferred `header` ops, `push`) keep ReadFrom.

#include <algorithm>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::handlers {

class HidesReadFrom {
 public:
  virtual ~HidesReadFrom() = default;
};

// True when Go's response.ReadFrom would be reached: no stage installed hides it.
inline bool goReadFromReached(const runtime::Exchange& ex) {
  return std::none_of(ex.stages.begin(), ex.stages.end(), [](const runtime::OutputStage* s) {
    return dynamic_cast<const HidesReadFrom*>(s) != nullptr;
  });
}

}  // namespace gatehouse::handlers
