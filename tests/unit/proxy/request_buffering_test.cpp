#include "proxy/request_buffering.h"

#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "provision/provision_error.h"

using gatehouse::config::Json;
using gatehouse::proxy::BodyBuffering;

TEST_CASE("request_buffers and response_buffers are read as byte limits", "[proxy][buffering]") {
  auto b = BodyBuffering::parse(Json::parse(R"({"request_buffers": 4000, "response_buffers": -1})"), "h");
  CHECK(b.request == 4000);
  CHECK(b.response == -1);
  b = BodyBuffering::parse(Json::parse(R"({})"), "h");
  CHECK(b.request == 0);
  CHECK(b.response == 0);
}

TEST_CASE("Caddy 2.6's buffer_requests/buffer_responses share max_buffer_size", "[proxy][buffering]") {
  auto b = BodyBuffering::parse(Json::parse(R"({"buffer_requests": true, "max_buffer_size": 1000})"), "h");
  CHECK(b.request == 1000);
  CHECK(b.response == 0);
  // No size: the whole body, as 2.6 reads it.
  b = BodyBuffering::parse(Json::parse(R"({"buffer_responses": true})"), "h");
  CHECK(b.response == -1);
  CHECK(b.request == 0);
}

TEST_CASE("bad buffer limits are refused with their path", "[proxy][buffering]") {
  using gatehouse::provision::ProvisionError;
  CHECK_THROWS_AS(BodyBuffering::parse(Json::parse(R"({"request_buffers": -2})"), "h"), ProvisionError);
  CHECK_THROWS_AS(BodyBuffering::parse(Json::parse(R"({"response_buffers": "1MB"})"), "h"), ProvisionError);
  CHECK_THROWS_AS(BodyBuffering::parse(Json::parse(R"({"buffer_requests": 1})"), "h"), ProvisionError);
  try {
    BodyBuffering::parse(Json::parse(R"({"request_buffers": 1.5})"), "apps.h");
    FAIL("accepted");
  } catch (const ProvisionError& e) {
    CHECK(std::string(e.what()).find("apps.h.request_buffers") != std::string::npos);
  }
}
