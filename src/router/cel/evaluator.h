#pragma once
// Evaluates a checked, compiled expression for one request. Errors are values (CEL's
// error propagation): `&&`/`||` absorb them when the other side decides, everything else
// passes them on. Only the comprehension macros' variables live in the evaluator.

#include <string_view>
#include <utility>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "router/cel/ast.h"

namespace gatehouse::router::cel {

class Evaluator {
 public:
  // `ex` may be null when evaluating constant sub-expressions at compile time.
  explicit Evaluator(runtime::Exchange* ex) : ex_(ex) {}
  Value eval(const Node& n);

 private:
  Value call(const Node& n);
  Value logical(const Node& n, bool isAnd);
  Value conditional(const Node& n);
  Value select(const Node& n);
  Value comprehension(const Node& n);
  Value ident(const Node& n);

  runtime::Exchange* ex_;
  std::vector<std::pair<std::string_view, const Value*>> vars_;
};

}  // namespace gatehouse::router::cel
