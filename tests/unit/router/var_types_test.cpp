#include "router/var_types.h"

#include <catch2/catch.hpp>

#include "router/matchers.h"

using gatehouse::config::Json;
using gatehouse::router::compileMatcherSet;
using gatehouse::router::setVarType;
using gatehouse::router::VarType;
using gatehouse::runtime::Exchange;

namespace {
bool matches(const char* expr, Exchange& ex) {
  Json set = Json::object();
  set["expression"] = expr;
  return compileMatcherSet(set, "m").match(ex);
}
}  // namespace

// Caddy keeps a vars value given as a JSON number or boolean typed (found by match_fuzz.py:
// `vars v 1` then `expression {vars.v} == "1"` is false in caddy 2.6.2, `== 1` true).
TEST_CASE("CEL sees a vars number or boolean with its JSON type") {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.path = "/";
  setVarType(ex, "n", VarType::Number, "1");
  ex.setVar("n", "1");
  setVarType(ex, "b", VarType::Bool, "true");
  ex.setVar("b", "true");
  ex.setVar("s", "1");
  CHECK(matches(R"({http.vars.n} == 1)", ex));
  CHECK_FALSE(matches(R"({http.vars.n} == "1")", ex));
  CHECK(matches(R"({http.vars.b} == true)", ex));
  CHECK(matches(R"({http.vars.s} == "1")", ex));
  // set again as text (a later handler): the type is gone
  ex.setVar("n", "2");
  CHECK(matches(R"({http.vars.n} == "2")", ex));
  setVarType(ex, "b", VarType::String, "x");
  ex.setVar("b", "x");
  CHECK(matches(R"({http.vars.b} == "x")", ex));
}
