#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "httptype/site_block.h"

using gatehouse::parser::Token;

namespace {

std::string expand(const std::string& text) {
  std::vector<Token> tokens(1);
  tokens[0].text = text;
  gatehouse::parser::replaceShorthands(tokens);
  return tokens[0].text;
}

}  // namespace

TEST_CASE("fixed shorthands") {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"{host}", "{http.request.host}"},
      {"{hostport}", "{http.request.hostport}"},
      {"{uri}", "{http.request.uri}"},
      {"{%uri}", "{http.request.uri_escaped}"},
      {"{path}", "{http.request.uri.path}"},
      {"{query}", "{http.request.uri.query}"},
      {"{?query}", "{http.request.uri.prefixed_query}"},
      {"{orig_?query}", "{http.request.orig_uri.prefixed_query}"},
      {"{method}", "{http.request.method}"},
      {"{scheme}", "{http.request.scheme}"},
      {"{remote_host}", "{http.request.remote.host}"},
      {"{remote_port}", "{http.request.remote.port}"},
      {"{file}", "{http.request.uri.path.file}"},
      {"{client_ip}", "{http.vars.client_ip}"},
      {"{upstream_hostport}", "{http.reverse_proxy.upstream.hostport}"},
      {"https://{host}{uri}", "https://{http.request.host}{http.request.uri}"},
      {"{{host}}", "{{http.request.host}}"},
      {"{hosts}", "{hosts}"},
      {"{env.HOME}", "{env.HOME}"},
      {"plain", "plain"},
  };
  for (const auto& c : cases) {
    CHECK(expand(c.in) == c.out);
  }
}

TEST_CASE("parameterized shorthands") {
  CHECK(expand("{header.content-type} {labels.0} {query.p} {path.0} {re.name.0}") ==
        "{http.request.header.content-type} {http.request.host.labels.0} "
        "{http.request.uri.query.p} {http.request.uri.path.0} {http.regexp.name.0}");
  CHECK(expand("{re.1}") == "{http.regexp.1}");
  CHECK(expand("{cookie.session_id}") == "{http.request.cookie.session_id}");
  CHECK(expand("{file.ext}") == "{http.request.uri.path.file.ext}");
  CHECK(expand("{vars.foo}") == "{http.vars.foo}");
  CHECK(expand("{rp.status_code}") == "{http.reverse_proxy.status_code}");
  CHECK(expand("{rp.header.X-Retry}") == "{http.reverse_proxy.header.X-Retry}");
  CHECK(expand("{resp.status}") == "{http.intercept.status}");
  CHECK(expand("{err.status_code}") == "{http.error.status_code}");
  CHECK(expand("{file_match.relative}") == "{http.matchers.file.relative}");
  // Keys with dots only where the full placeholder is dotted.
  CHECK(expand("{header.X.Y}") == "{header.X.Y}");
  CHECK(expand("{vars.a.b}") == "{vars.a.b}");
  // An unclosed shorthand does not swallow the next one.
  CHECK(expand("{header.X-Custom and {query.page}") == "{header.X-Custom and {http.request.uri.query.page}");
}
