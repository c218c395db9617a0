#pragma once
// Contracts of the route chain: matchers decide, handlers act. Both are built once at
// provision time, are immutable afterwards and are shared by every worker thread, so their
// methods are const and keep per-request state in the Exchange.

#include <concepts>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::runtime {

class Handler {
 public:
  virtual ~Handler() = default;
  virtual Outcome handle(Exchange& ex) const = 0;
};

class Matcher {
 public:
  virtual ~Matcher() = default;
  // May record placeholders (regexp captures) in the exchange.
  virtual bool match(Exchange& ex) const = 0;
};

}  // namespace gatehouse::runtime
