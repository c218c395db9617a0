// The map directive: maps an input value to output variables (Caddy's map handler).
#include <array>
#include <utility>

#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {
namespace {

// Caddy's placeholder shorthands, shorthand -> what the adapter replaced it with; a
// destination equal to a replacement was written as a shorthand, which map cannot set.
constexpr std::array<std::pair<const char*, const char*>, 35> kShorthands = {{
    {"{host}", "{http.request.host}"},
    {"{hostport}", "{http.request.hostport}"},
    {"{port}", "{http.request.port}"},
    {"{orig_method}", "{http.request.orig_method}"},
    {"{orig_uri}", "{http.request.orig_uri}"},
    {"{orig_path}", "{http.request.orig_uri.path}"},
    {"{orig_dir}", "{http.request.orig_uri.path.dir}"},
    {"{orig_file}", "{http.request.orig_uri.path.file}"},
    {"{orig_query}", "{http.request.orig_uri.query}"},
    {"{orig_?query}", "{http.request.orig_uri.prefixed_query}"},
    {"{method}", "{http.request.method}"},
    {"{uri}", "{http.request.uri}"},
    {"{%uri}", "{http.request.uri_escaped}"},
    {"{path}", "{http.request.uri.path}"},
    {"{%path}", "{http.request.uri.path_escaped}"},
    {"{dir}", "{http.request.uri.path.dir}"},
    {"{file}", "{http.request.uri.path.file}"},
    {"{query}", "{http.request.uri.query}"},
    {"{%query}", "{http.request.uri.query_escaped}"},
    {"{?query}", "{http.request.uri.prefixed_query}"},
    {"{remote}", "{http.request.remote}"},
    {"{remote_host}", "{http.request.remote.host}"},
    {"{remote_port}", "{http.request.remote.port}"},
    {"{scheme}", "{http.request.scheme}"},
    {"{uuid}", "{http.request.uuid}"},
    {"{tls_cipher}", "{http.request.tls.cipher_suite}"},
    {"{tls_version}", "{http.request.tls.version}"},
    {"{tls_client_fingerprint}", "{http.request.tls.client.fingerprint}"},
    {"{tls_client_issuer}", "{http.request.tls.client.issuer}"},
    {"{tls_client_serial}", "{http.request.tls.client.serial}"},
    {"{tls_client_subject}", "{http.request.tls.client.subject}"},
    {"{tls_client_certificate_pem}", "{http.request.tls.client.certificate_pem}"},
    {"{tls_client_certificate_der_base64}", "{http.request.tls.client.certificate_der_base64}"},
    {"{upstream_hostport}", "{http.reverse_proxy.upstream.hostport}"},
    {"{client_ip}", "{http.vars.client_ip}"},
}};

std::string trimBraces(const std::string& s) {
  size_t b = s.find_first_not_of("{}");
  if (b == std::string::npos) {
    return "";
  }
  size_t e = s.find_last_not_of("{}");
  return s.substr(b, e - b + 1);
}

// The shorthand a destination was written as, or "" when it was not one.
std::string replacedShorthand(const std::string& token) {
  for (const auto& [shorthand, replacement] : kShorthands) {
    if (trimBraces(token) == trimBraces(replacement)) {
      return shorthand;
    }
  }
  return "";
}

// One "[~]<input> <outputs...>" line, the input being the current token.
Json readMapping(Helper& h, size_t destinations) {
  std::string in = h.val();
  Json outputs = Json::array();
  while (h.nextArg()) {
    Json v = handler_util::scalarVal(h);
    outputs.push_back(v == "-" ? Json(nullptr) : v);
  }
  if (outputs.size() > destinations) {
    throw h.err("too many outputs");
  }
  while (outputs.size() < destinations) {
    outputs.push_back(nullptr);  // fewer outputs than destinations are filled with nulls
  }
  Json mapping = Json::object();
  if (in.starts_with('~')) {
    if (in.size() > 1) {
      mapping["input_regexp"] = in.substr(1);
    }
  } else if (!in.empty()) {
    mapping["input"] = in;
  }
  mapping["outputs"] = outputs;
  return mapping;
}

}  // namespace

// map [<matcher>] <source> <destinations...> {
//     [~]<input> <outputs...>
//     default    <defaults...>
// }
//
// A "~" makes the input a regular expression; an output "-" is null (use the default).
config::Handler parseMap(Helper& h) {
  h.next();  // the directive name
  if (!h.nextArg()) {
    throw h.argErr();
  }
  std::string source = h.val();
  std::vector<std::string> destinations = h.remainingArgs();
  if (destinations.empty()) {
    throw h.err("missing destination argument(s)");
  }
  for (const auto& dest : destinations) {
    if (std::string sh = replacedShorthand(dest); !sh.empty()) {
      throw h.err("destination " + sh + " conflicts with a Caddyfile placeholder shorthand");
    }
  }

  Json mappings = Json::array();
  std::vector<std::string> defaults;
  while (h.nextBlock(0)) {
    if (h.val() == "default") {
      if (!defaults.empty()) {
        throw h.err("defaults already defined");
      }
      defaults = h.remainingArgs();
      while (defaults.size() < destinations.size()) {
        defaults.emplace_back();
      }
      continue;
    }
    mappings.push_back(readMapping(h, destinations.size()));
  }

  Json fields = Json::object();
  fields["source"] = source;
  fields["destinations"] = destinations;
  if (!mappings.empty()) {
    fields["mappings"] = mappings;
  }
  if (!defaults.empty()) {
    fields["defaults"] = defaults;
  }
  return config::Handler{"map", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
