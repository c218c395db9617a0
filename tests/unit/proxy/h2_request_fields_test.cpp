#include "proxy/h2_request_fields.h"

#include <catch2/catch.hpp>

using gatehouse::runtime::HeaderList;

TEST_CASE("h2 upstream fields: lower-case names, connection-specific fields left out") {
  HeaderList in;
  in.add("Host", "example.test");
  in.add("X-Forwarded-For", "192.0.2.1");
  in.add("Connection", "keep-alive");
  in.add("Keep-Alive", "300");
  in.add("Proxy-Connection", "x");
  in.add("Transfer-Encoding", "chunked");
  in.add("Upgrade", "websocket");
  in.add("Content-Length", "5");
  in.add("TE", "gzip");
  in.add("Accept", "*/*");
  HeaderList out;
  gatehouse::proxy::appendH2Fields(in, out);
  REQUIRE(out.size() == 2);
  CHECK(out.get("x-forwarded-for") == "192.0.2.1");
  CHECK(out.begin()->name == "x-forwarded-for");
  CHECK(out.get("accept") == "*/*");

  HeaderList te;
  te.add("Te", "Trailers");
  HeaderList teOut;
  gatehouse::proxy::appendH2Fields(te, teOut);
  CHECK(teOut.get("te") == "Trailers");  // the one TE value HTTP/2 allows
}

// As Go's transports (compat real_block_bots): an empty User-Agent is not sent, and of
// several only the first goes.
TEST_CASE("h2 upstream fields: one User-Agent, none when empty") {
  HeaderList empty;
  empty.add("User-Agent", "");
  empty.add("Accept", "*/*");
  HeaderList emptyOut;
  gatehouse::proxy::appendH2Fields(empty, emptyOut);
  CHECK_FALSE(emptyOut.has("user-agent"));

  HeaderList two;
  two.add("User-Agent", "first/1");
  two.add("User-Agent", "second/2");
  HeaderList twoOut;
  gatehouse::proxy::appendH2Fields(two, twoOut);
  REQUIRE(twoOut.size() == 1);
  CHECK(twoOut.get("user-agent") == "first/1");

  HeaderList emptyFirst;
  emptyFirst.add("User-Agent", "");
  emptyFirst.add("User-Agent", "second/2");
  HeaderList emptyFirstOut;
  gatehouse::proxy::appendH2Fields(emptyFirst, emptyFirstOut);
  CHECK(emptyFirstOut.size() == 0);  // Go looks at the first value only
}

// As Go's HTTP/2 transport (found by tests/compat/request_fuzz.py, proxy_h2c_headers): a
// field per cookie pair, and an empty Cookie sends nothing.
TEST_CASE("h2 upstream fields: Cookie split into pairs, none when empty") {
  HeaderList in;
  in.add("Cookie", "");
  in.add("Cookie", "a=1;  b=2;c=3");
  in.add("Cookie", "d=4;");
  HeaderList out;
  gatehouse::proxy::appendH2Fields(in, out);
  std::vector<std::string> values;
  for (const auto& f : out) {
    CHECK(f.name == "cookie");
    values.push_back(f.value);
  }
  CHECK(values == std::vector<std::string>{"a=1", "b=2", "c=3", "d=4"});
}
