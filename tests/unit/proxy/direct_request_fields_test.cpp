// The one-pass request fields writer must produce what the general rules produce.
#include "proxy/direct_request_fields.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "proxy/header_rules.h"

using gatehouse::proxy::appendDirectFields;
using gatehouse::proxy::DirectFieldFacts;
using gatehouse::proxy::DirectFields;
using gatehouse::runtime::HeaderList;
using gatehouse::runtime::Request;

namespace {

Request request(const std::vector<std::pair<std::string, std::string>>& fields, bool tls = false) {
  Request r;
  r.host = "example.com:8443";
  r.remoteIp = "192.0.2.7";
  r.tls = tls;
  for (const auto& [n, v] : fields) {
    r.headers.add(n, v);
  }
  return r;
}

// What ProxyCall's general path writes for the same request (no header_up, untrusted).
std::string generalFields(const Request& req) {
  HeaderList h;
  for (const auto& f : req.headers) {
    h.emplaceBack(gatehouse::runtime::canonicalHeaderName(f.name), f.value);
  }
  gatehouse::proxy::removeHopByHop(h, req.upgrade);
  h.remove("Content-Length");
  h.remove("User-Agent");  // written right after Host by ProxyCall::buildHead, as Go
  gatehouse::proxy::setForwardedHeaders(h, req, false);
  std::string out;
  for (const auto& f : h) {
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  return out;
}

}  // namespace

TEST_CASE("direct request fields: byte for byte the general rules' output") {
  const std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {},
      {{"user-agent", "h2load nghttp2/1.52.0"}, {"accept", "*/*"}, {"accept-encoding", "gzip, deflate"}},
      {{"content-type", "application/json"}, {"content-length", "12"}, {"x-custom-ID", "a"}},
      {{"Keep-Alive", "300"},
       {"Proxy-Authorization", "Basic x"},
       {"Trailer", "X"},
       {"Upgrade", "h2c"},
       {"transfer-encoding", "chunked"},
       {"cookie", "a=1"},
       {"cookie", "b=2"}},
      {{"Range", "bytes=0-1"}, {"x-\xc3\xa9t\xc3\xa9", "v"}, {"proxy-connection", "keep-alive"}},
      {{"Connection", "Keep-Alive"}, {"keep-alive", "timeout=5"}, {"accept", "*/*"}},
  };
  for (bool tls : {false, true}) {
    for (const auto& fields : cases) {
      const Request req = request(fields, tls);
      std::string out;
      DirectFieldFacts facts;
      REQUIRE(appendDirectFields(out, req, facts) == DirectFields::Written);
      CHECK(out == generalFields(req));
    }
  }
}

TEST_CASE("direct request fields: what needs the general rules, what the gzip decision sees") {
  std::string out;
  DirectFieldFacts facts;
  CHECK(appendDirectFields(out, request({{"connection", "close, x-a"}, {"x-a", "1"}}), facts) ==
        DirectFields::General);
  for (const char* name : {"te", "Host", "X-Forwarded-For", "x-forwarded-proto", "X-Forwarded-Host"}) {
    out.clear();
    CHECK(appendDirectFields(out, request({{"accept", "*/*"}, {name, "v"}}), facts) == DirectFields::General);
  }
  CHECK(appendDirectFields(out, request({{"x-a", "line\r\nInjected: 1"}}), facts) == DirectFields::Unsafe);
  CHECK(appendDirectFields(out, request({{"bad name", "v"}}), facts) == DirectFields::Unsafe);
  out.clear();
  REQUIRE(appendDirectFields(out, request({{"Accept-Encoding", ""}, {"accept-encoding", "br"}}), facts) ==
          DirectFields::Written);
  CHECK_FALSE(facts.acceptEncoding);  // as HeaderList::get: the first field decides
  CHECK_FALSE(facts.range);
  REQUIRE(appendDirectFields(out, request({{"range", "bytes=1-"}, {"accept-encoding", "br"}}), facts) ==
          DirectFields::Written);
  CHECK(facts.acceptEncoding);
  CHECK(facts.range);
}
