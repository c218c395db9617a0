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

using gatehouse::parser::FileServerCommand;
using gatehouse::parser::fileServerCommandConfig;
using gatehouse::parser::respondBodyTemplate;
using gatehouse::parser::RespondCommand;
using gatehouse::parser::respondCommandConfig;

TEST_CASE("file-server command: caddy 2.6.2's server, handlers and defaults", "[parser][command]") {
  FileServerCommand cmd;
  std::string listen;
  Json cfg = fileServerCommandConfig(cmd, listen);
  CHECK(listen == ":80");
  CHECK(cfg["admin"] == Json::parse(R"({"disabled":true,"config":{"persist":false}})"));
  CHECK_FALSE(cfg.contains("logging"));
  CHECK(cfg["apps"]["http"]["servers"]["static"] == Json::parse(R"({"listen":[":80"],
        "read_header_timeout":10000000000,"idle_timeout":30000000000,"max_header_bytes":10240,
        "routes":[{"handle":[{"handler":"file_server"}]}]})"));

  cmd.domain = "example.com";
  cmd.root = "/srv/site";
  cmd.browse = cmd.templates = cmd.accessLog = cmd.debug = true;
  cfg = fileServerCommandConfig(cmd, listen);
  CHECK(listen == ":443");
  const Json& server = cfg["apps"]["http"]["servers"]["static"];
  CHECK(server["listen"] == Json::parse(R"([":443"])"));
  CHECK(server["logs"] == Json::object());
  CHECK(server["routes"][0] == Json::parse(R"({"match":[{"host":["example.com"]}],"handle":[
        {"handler":"templates","file_root":"/srv/site"},
        {"handler":"file_server","root":"/srv/site","browse":{}}]})"));
  CHECK(cfg["logging"]["logs"]["default"]["level"] == "DEBUG");

  cmd.listen = "127.0.0.1:8080";
  CHECK(fileServerCommandConfig(cmd, listen)["apps"]["http"]["servers"]["static"]["listen"][0] ==
        "127.0.0.1:8080");
  CHECK(listen == "127.0.0.1:8080");
}

TEST_CASE("respond command: one server per port of the range, the body template per server",
          "[parser][command]") {
  RespondCommand cmd;
  cmd.listen = "127.0.0.1:8000-8002";
  cmd.status = 404;
  cmd.body = "n={{.N}} port={{ .Port }} at {{.Address}} {http.request.uri}";
  cmd.headers = {"x-a: 1", " X-B :two ", "x-a: 3"};
  cmd.accessLog = true;
  const Json cfg = respondCommandConfig(cmd);
  const Json& servers = cfg["apps"]["http"]["servers"];
  REQUIRE(servers.size() == 3);
  const Json& s1 = servers["static1"];
  CHECK(s1["listen"] == Json::parse(R"(["127.0.0.1:8001"])"));
  CHECK(s1["automatic_https"] == Json::parse(R"({"disable_redirects":true})"));
  CHECK(s1["max_header_bytes"] == 10240);
  CHECK(s1["logs"] == Json::object());
  CHECK(s1["routes"][0]["handle"][0] == Json::parse(R"({"handler":"static_response","status_code":404,
        "headers":{"X-A":["3"],"X-B":["two"]},
        "body":"n=1 port=8001 at 127.0.0.1:8001 {http.request.uri}"})"));
  CHECK(servers["static2"]["listen"][0] == "127.0.0.1:8002");
  CHECK(cfg["admin"]["disabled"] == true);
}

TEST_CASE("respond command: listen addresses as caddy 2.6.2 parses them", "[parser][command]") {
  RespondCommand cmd;
  auto listenOf = [&cmd](const std::string& listen) {
    cmd.listen = listen;
    return respondCommandConfig(cmd)["apps"]["http"]["servers"]["static0"]["listen"][0].get<std::string>();
  };
  CHECK(listenOf(":0") == ":0");
  CHECK(listenOf("127.0.0.1") == "127.0.0.1:0");
  CHECK(listenOf("tcp4/127.0.0.1:9000") == "127.0.0.1:9000");
  CHECK(listenOf("[::1]:9000") == "[::1]:9000");
  CHECK(listenOf("[::1]") == "[::1]:0");
  cmd.listen = "127.0.0.1:9002-9000";
  CHECK_THROWS_WITH(respondCommandConfig(cmd), "end port must not be less than start port");
  cmd.listen = "127.0.0.1:abc";
  CHECK_THROWS_WITH(respondCommandConfig(cmd),
                    "invalid start port: strconv.ParseUint: parsing \"abc\": invalid syntax");
  cmd.listen = "127.0.0.1:9000-70000";
  CHECK_THROWS_WITH(respondCommandConfig(cmd),
                    "invalid end port: strconv.ParseUint: parsing \"70000\": value out of range");
  cmd.listen = "::1";
  CHECK_THROWS_WITH(respondCommandConfig(cmd), "address ::1: too many colons in address");
  cmd.listen = "unix//tmp/x.sock";
  CHECK_THROWS_AS(respondCommandConfig(cmd), gatehouse::parser::ConfigError);
  cmd.listen = ":0";
  cmd.headers = {"A:"};
  CHECK_THROWS_WITH(respondCommandConfig(cmd),
                    "header 0: invalid format \"A:\" (expecting \"Field: value\")");
}

TEST_CASE("respond command: the body template's subset of text/template", "[parser][command]") {
  CHECK(respondBodyTemplate("{{.N}}/{{.Port}}/{{.Address}}", 2, 8002, "h:8002") == "2/8002/h:8002");
  CHECK(respondBodyTemplate("{{.}}", 0, 80, ":80") == "{0 80 :80}");
  CHECK(respondBodyTemplate("a  {{- .N -}}  b", 1, 0, "") == "a1b");
  CHECK(respondBodyTemplate("a {{/* note */}}b {{- /* x */ -}} c", 0, 0, "") == "a bc");
  CHECK(respondBodyTemplate("{plain} {{.N}}", 0, 0, "") == "{plain} 0");
  CHECK_THROWS_WITH(respondBodyTemplate("x\n{{.N", 0, 0, ""), "template: body:2: unclosed action");
  CHECK_THROWS_WITH(respondBodyTemplate("ab\n cd {{.Foo}}", 0, 0, ""),
                    "template: body:2:6: executing \"body\" at <.Foo>: can't evaluate field Foo in type "
                    "struct { N int; Port uint; Address string }");
  CHECK_THROWS_WITH(respondBodyTemplate("{{/* open", 0, 0, ""), "template: body:1: unclosed comment");
  CHECK_THROWS_AS(respondBodyTemplate("{{if .N}}x{{end}}", 0, 0, ""), gatehouse::parser::ConfigError);
  CHECK_THROWS_AS(respondBodyTemplate("{{printf \"%d\" .N}}", 0, 0, ""), gatehouse::parser::ConfigError);
}
