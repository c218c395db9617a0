#pragma once
// Output stages whose Caddy counterparts wrap the response writer without passing on Go's
// io.ReaderFrom (encode's compressing writer; templates' recorder while it buffers, that is
// for a Content-Type it executes). Go's
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
  // Whether the wrapper hides ReadFrom for this response (its head as the handler set it).
  [[nodiscard]] virtual bool hidesReadFrom(const runtime::Exchange& /*ex*/) const { return true; }
};

// True when Go's response.ReadFrom would be reached: no stage installed hides it.
inline bool goReadFromReached(const runtime::Exchange& ex) {
  return std::none_of(ex.stages.begin(), ex.stages.end(), [&ex](const runtime::OutputStage* s) {
    const auto* wrap = dynamic_cast<const HidesReadFrom*>(s);
    return wrap != nullptr && wrap->hidesReadFrom(ex);
  });
}

}  // namespace gatehouse::handlers
