#include <catch2/catch.hpp>

#include "handlers/handlers.h"
#include "handlers/link_header.h"
#include "handlers/trace_context.h"

namespace h = gatehouse::handlers;

TEST_CASE("traceparent is accepted as otel-go's propagator accepts it", "[tracing]") {
  auto p = h::parseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(p);
  CHECK(p->traceId == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(p->spanId == "00f067aa0ba902b7");
  CHECK(p->sampled);
  CHECK_FALSE(h::parseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")->sampled);
  // Later versions may carry more fields; only the sampled bit is kept.
  CHECK(h::parseTraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-extra")->sampled);
  for (const char* bad : {"", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
                          "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}) {
    CHECK_FALSE(h::parseTraceParent(bad));
  }
  CHECK(h::formatTraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true) ==
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_CASE("tracestate is normalised or dropped as otel-go does", "[tracing]") {
  CHECK(h::normalizeTraceState("congo=t61rcWkgMzE, rojo=00f067aa0ba902b7") ==
        "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  CHECK(h::normalizeTraceState("a=1,,b=2") == "a=1,b=2");
  CHECK(h::normalizeTraceState("tenant@sys=v") == "tenant@sys=v");
  CHECK(h::normalizeTraceState("") == "");
  CHECK_FALSE(h::normalizeTraceState("a=1,a=2"));  // duplicate key
  CHECK_FALSE(h::normalizeTraceState("A=1"));      // upper-case key
  CHECK_FALSE(h::normalizeTraceState("a=1, "));    // a blank member
  CHECK_FALSE(h::normalizeTraceState("a=b=c"));    // '=' in the value
  std::string many;
  for (int i = 0; i < 33; ++i) {
    many += (i ? ",k" : "k") + std::to_string(i) + "=v";
  }
  CHECK_FALSE(h::normalizeTraceState(many));
}

TEST_CASE("random ids are hex of the asked length", "[tracing]") {
  const std::string a = h::randomHexId(16);
  CHECK(a.size() == 32);
  CHECK(a != h::randomHexId(16));
  CHECK(h::randomHexId(8).size() == 16);
}

TEST_CASE("Link fields are read as Caddy's push handler reads them", "[push]") {
  auto links = h::parseLinkField("</style.css>; rel=preload; as=style, </a.js>; rel=preload; nopush,<b.js>");
  REQUIRE(links.size() == 3);
  CHECK(links[0].uri == "/style.css");
  CHECK_FALSE(links[0].noPush);
  CHECK(links[1].uri == "/a.js");
  CHECK(links[1].noPush);
  CHECK(links[2].uri == "b.js");
  CHECK(h::parseLinkField("no brackets; rel=preload").empty());
  CHECK(h::parseLinkField(">x<").empty());
  CHECK(h::isRemoteResource("//cdn/x.js"));
  CHECK(h::isRemoteResource("https://cdn/x.js"));
  CHECK_FALSE(h::isRemoteResource("/x.js"));
}
