#pragma once
// Implemented by a BodySource whose body may be followed by trailer fields (a proxied
// response whose upstream sent trailers). A session asks when the last piece arrives:
// HTTP/1.1 writes them in a chunked body's trailer section (a body framed by length has
// none, as Go's server), HTTP/2 as a trailing HEADERS frame. Loop thread only.

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::runtime {

class TrailerSource {
 public:
  virtual ~TrailerSource() = default;
  // Valid once the last piece was delivered; null or empty: no trailers.
  [[nodiscard]] virtual const HeaderList* trailers() const = 0;
};

// The trailers of `source` if it has any (a BodySource that is also a TrailerSource).
template <typename Source>
const HeaderList* trailersOf(const Source* source) {
  const auto* t = dynamic_cast<const TrailerSource*>(source);
  const HeaderList* fields = t != nullptr ? t->trailers() : nullptr;
  return fields != nullptr && !fields->empty() ? fields : nullptr;
}

}  // namespace gatehouse::runtime
