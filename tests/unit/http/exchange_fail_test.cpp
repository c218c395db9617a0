#include <catch2/catch.hpp>

#include "gatehouse/runtime/exchange.h"

using gatehouse::runtime::Exchange;

TEST_CASE("Exchange::fail drops a length that described the body it clears", "[exchange]") {
  Exchange ex;
  ex.response.headers.set("Content-Length", "11");
  ex.response.body = "hello world";  // file_server's body, before a failing template
  ex.fail(500, "", "templates");
  CHECK_FALSE(ex.response.headers.has("Content-Length"));
  CHECK(ex.response.body.empty());
  CHECK(ex.error.status == 500);
}

TEST_CASE("Exchange::fail keeps a preset length with no body behind it", "[exchange]") {
  // `header Content-Length 5` before a file_server that answers 404: Caddy's error answer
  // carries the field (found by tests/compat/request_fuzz.py, file_server_preset_headers)
  Exchange ex;
  ex.response.headers.set("Content-Length", "5");
  ex.fail(404, "", "file_server");
  CHECK(ex.response.headers.get("Content-Length") == "5");
  CHECK(ex.response.status == 404);
}
