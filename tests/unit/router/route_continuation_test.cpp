// A chain that goes on after a paused handler (handle_response routes that answer nothing):
// RouteList records where it stopped, innermost list first, and runFrom() goes on there.

#include <catch2/catch.hpp>

#include "router/route.h"

using gatehouse::router::CompiledRoute;
using gatehouse::router::RouteList;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Handler;
using gatehouse::runtime::Outcome;

namespace {

class Mark final : public Handler {
 public:
  explicit Mark(std::string name) : name_(std::move(name)) {}
  Outcome handle(Exchange& ex) const override {
    ex.setVar("trace", (ex.var("trace") ? *ex.var("trace") : std::string()) + name_);
    return Outcome::Continue;
  }

 private:
  std::string name_;
};

class Pause final : public Handler {
 public:
  Outcome handle(Exchange& /*ex*/) const override { return Outcome::Paused; }
};

class Nested final : public Handler {
 public:
  explicit Nested(const RouteList& inner) : inner_(inner) {}
  Outcome handle(Exchange& ex) const override { return inner_.run(ex); }

 private:
  const RouteList& inner_;
};

CompiledRoute route(std::vector<std::unique_ptr<Handler>> hs, bool terminal = false) {
  CompiledRoute r;
  r.handlers = std::move(hs);
  r.terminal = terminal;
  return r;
}

template <typename... H>
std::vector<std::unique_ptr<Handler>> handlers(std::unique_ptr<H>... h) {
  std::vector<std::unique_ptr<Handler>> v;
  (v.push_back(std::move(h)), ...);
  return v;
}

std::string trace(const Exchange& ex) {
  return ex.var("trace") ? *ex.var("trace") : std::string();
}

}  // namespace

TEST_CASE("a paused chain records its position and goes on from there, innermost first") {
  std::vector<CompiledRoute> innerRoutes;
  innerRoutes.push_back(
      route(handlers(std::make_unique<Mark>("a"), std::make_unique<Pause>(), std::make_unique<Mark>("b"))));
  innerRoutes.push_back(route(handlers(std::make_unique<Mark>("c"))));
  const RouteList inner(std::move(innerRoutes));
  std::vector<CompiledRoute> outerRoutes;
  outerRoutes.push_back(route(handlers(std::make_unique<Nested>(inner), std::make_unique<Mark>("d")), true));
  outerRoutes.push_back(route(handlers(std::make_unique<Mark>("never"))));
  const RouteList outer(std::move(outerRoutes));

  Exchange ex;
  CHECK(outer.run(ex) == Outcome::Paused);
  CHECK(trace(ex) == "a");
  REQUIRE(ex.chainRest.size() == 2);
  CHECK(ex.chainRest[0].list == &inner);
  CHECK(ex.chainRest[0].route == 0);
  CHECK(ex.chainRest[0].handler == 2);
  CHECK(ex.chainRest[1].list == &outer);
  CHECK(ex.chainRest[1].handler == 1);
  // The continuation, as SiteRouter runs it: the inner list's rest, then the outer's,
  // whose route is terminal.
  auto frames = ex.chainRest;
  CHECK(frames[0].list->runFrom(ex, frames[0].route, frames[0].handler) == Outcome::Continue);
  CHECK(trace(ex) == "abc");
  CHECK(frames[1].list->runFrom(ex, frames[1].route, frames[1].handler) == Outcome::Handled);
  CHECK(trace(ex) == "abcd");
  ex.clear();
  CHECK(ex.chainRest.empty());
}
