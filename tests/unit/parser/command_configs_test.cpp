#include "gatehouse/parser/command_configs.h"

#include <catch2/catch.hpp>

#include "gatehouse/parser/config_error.h"

using gatehouse::config::Json;
using gatehouse::parser::ReverseProxyCommand;
using gatehouse::parser::reverseProxyCommandConfig;

TEST_CASE("reverse-proxy command: a host gets HTTPS on 443, internal certs, TLS upstreams",
          "[parser][command]") {
  ReverseProxyCommand cmd;
  cmd.from = "chat.example.com";
  cmd.to = {"https://10.0.0.2", "https://10.0.0.3:8443"};
  cmd.insecure = true;
  cmd.internalCerts = true;
  cmd.changeHostHeader = true;
  std::string from;
  std::vector<std::string> dials;
  const Json cfg = reverseProxyCommandConfig(cmd, from, dials);
  CHECK(from == "https://chat.example.com");
  CHECK(dials == std::vector<std::string>{"10.0.0.2:443", "10.0.0.3:8443"});
  CHECK(cfg["admin"] == Json::parse(R"({"disabled":true,"config":{"persist":false}})"));
  const Json& server = cfg["apps"]["http"]["servers"]["proxy"];
  CHECK(server["listen"] == Json::parse(R"([":443"])"));
  CHECK_FALSE(server.contains("automatic_https"));
  CHECK(server["routes"][0]["match"] == Json::parse(R"([{"host":["chat.example.com"]}])"));
  const Json& handler = server["routes"][0]["handle"][0];
  CHECK(handler["transport"] == Json::parse(R"({"protocol":"http","tls":{"insecure_skip_verify":true}})"));
  CHECK(handler["headers"]["request"]["set"]["Host"][0] == "{http.reverse_proxy.upstream.hostport}");
  CHECK(cfg["apps"]["tls"]["automation"]["policies"][0]["issuers"][0]["module"] == "internal");
}

TEST_CASE("reverse-proxy command: no host or http:// serves plain HTTP", "[parser][command]") {
  ReverseProxyCommand cmd;
  cmd.from = ":8080";
  cmd.to = {"127.0.0.1:3210"};
  std::string from;
  std::vector<std::string> dials;
  const Json cfg = reverseProxyCommandConfig(cmd, from, dials);
  CHECK(from == "http://:8080");
  const Json& server = cfg["apps"]["http"]["servers"]["proxy"];
  CHECK(server["automatic_https"]["disable"] == true);
  CHECK_FALSE(server["routes"][0].contains("match"));
  CHECK_FALSE(server["routes"][0]["handle"][0]["transport"].contains("tls"));
  cmd.from = "localhost:80";
  CHECK(reverseProxyCommandConfig(cmd, from, dials)["apps"]["http"]["servers"]["proxy"]["listen"][0] ==
        ":80");
  CHECK(from == "http://localhost");
}

TEST_CASE("reverse-proxy command: caddy's refusals", "[parser][command]") {
  ReverseProxyCommand cmd;
  std::string from;
  std::vector<std::string> dials;
  CHECK_THROWS_WITH(reverseProxyCommandConfig(cmd, from, dials), "--to is required");
  cmd.to = {"127.0.0.1:1"};
  cmd.from = "example.com/api";
  CHECK_THROWS_WITH(reverseProxyCommandConfig(cmd, from, dials), "paths are not allowed: example.com/api");
}
