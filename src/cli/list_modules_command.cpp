// gatehouse list-modules: the Caddy module IDs this build provisions, in `caddy list-modules`'s
// layout. The list is kept honest by tests/e2e/list_modules_command_vs_caddy_test.py: a
// config using each module must pass `gatehouse validate`, and each module of caddy 2.6.2
// left out must be refused by it.

#include <algorithm>
#include <array>
#include <iostream>
#include <string_view>
#include <vector>

#include "cli/bool_flag.h"
#include "cli/command.h"

namespace gatehouse::cli {

namespace {

// Modules of Caddy's standard distribution (2.6.2's, plus a few of later versions that
// Gatehouse follows: client_ip, invoke, tracing, multi_regexp, the newer selection
// policies, static trusted_proxies).
constexpr std::array kStandard = {
    "admin.api.load",
    "admin.api.metrics",
    "admin.api.pki",
    "admin.api.reverse_proxy",
    "caddy.adapters.caddyfile",
    "caddy.config_loaders.http",
    "caddy.listeners.http_redirect",
    "caddy.listeners.tls",
    "caddy.logging.encoders.console",
    "caddy.logging.encoders.filter",
    "caddy.logging.encoders.filter.cookie",
    "caddy.logging.encoders.filter.delete",
    "caddy.logging.encoders.filter.hash",
    "caddy.logging.encoders.filter.ip_mask",
    "caddy.logging.encoders.filter.multi_regexp",
    "caddy.logging.encoders.filter.query",
    "caddy.logging.encoders.filter.regexp",
    "caddy.logging.encoders.filter.rename",
    "caddy.logging.encoders.filter.replace",
    "caddy.logging.encoders.json",
    "caddy.logging.writers.discard",
    "caddy.logging.writers.file",
    "caddy.logging.writers.net",
    "caddy.logging.writers.stderr",
    "caddy.logging.writers.stdout",
    "caddy.storage.file_system",
    "events",
    "http",
    "http.authentication.hashes.bcrypt",
    "http.authentication.hashes.scrypt",
    "http.authentication.providers.http_basic",
    "http.encoders.gzip",
    "http.encoders.zstd",
    "http.handlers.acme_server",
    "http.handlers.authentication",
    "http.handlers.copy_response",
    "http.handlers.copy_response_headers",
    "http.handlers.encode",
    "http.handlers.error",
    "http.handlers.file_server",
    "http.handlers.headers",
    "http.handlers.invoke",
    "http.handlers.map",
    "http.handlers.metrics",
    "http.handlers.push",
    "http.handlers.request_body",
    "http.handlers.reverse_proxy",
    "http.handlers.rewrite",
    "http.handlers.static_response",
    "http.handlers.subroute",
    "http.handlers.templates",
    "http.handlers.tracing",
    "http.handlers.vars",
    "http.ip_sources.static",
    "http.matchers.client_ip",
    "http.matchers.expression",
    "http.matchers.file",
    "http.matchers.header",
    "http.matchers.header_regexp",
    "http.matchers.host",
    "http.matchers.method",
    "http.matchers.not",
    "http.matchers.path",
    "http.matchers.path_regexp",
    "http.matchers.protocol",
    "http.matchers.query",
    "http.matchers.remote_ip",
    "http.matchers.vars",
    "http.matchers.vars_regexp",
    "http.precompressed.br",
    "http.precompressed.gzip",
    "http.precompressed.zstd",
    "http.reverse_proxy.selection_policies.client_ip_hash",
    "http.reverse_proxy.selection_policies.cookie",
    "http.reverse_proxy.selection_policies.first",
    "http.reverse_proxy.selection_policies.header",
    "http.reverse_proxy.selection_policies.ip_hash",
    "http.reverse_proxy.selection_policies.least_conn",
    "http.reverse_proxy.selection_policies.query",
    "http.reverse_proxy.selection_policies.random",
    "http.reverse_proxy.selection_policies.random_choose",
    "http.reverse_proxy.selection_policies.round_robin",
    "http.reverse_proxy.selection_policies.uri_hash",
    "http.reverse_proxy.selection_policies.weighted_round_robin",
    "http.reverse_proxy.transport.fastcgi",
    "http.reverse_proxy.transport.http",
    "http.reverse_proxy.upstreams.a",
    "http.reverse_proxy.upstreams.multi",
    "http.reverse_proxy.upstreams.srv",
    "pki",
    "tls",
    "tls.certificates.automate",
    "tls.certificates.load_files",
    "tls.certificates.load_folders",
    "tls.certificates.load_pem",
    "tls.client_auth.leaf",
    "tls.get_certificate.http",
    "tls.handshake_match.sni",
    "tls.issuance.acme",
    "tls.issuance.internal",
    "tls.issuance.zerossl",
};

// Plugins in Caddy's terms (caddy-dns providers), built into Gatehouse.
constexpr std::array kNonStandard = {
    "dns.providers.acmedns", "dns.providers.alidns",       "dns.providers.cloudflare",
    "dns.providers.desec",   "dns.providers.digitalocean", "dns.providers.duckdns",
    "dns.providers.exec",    "dns.providers.hetzner",      "dns.providers.porkbun",
    "dns.providers.rfc2136", "dns.providers.route53",
};

template <typename List>
void printSorted(const List& list) {
  std::vector<std::string_view> ids(list.begin(), list.end());
  std::sort(ids.begin(), ids.end());
  for (auto id : ids) {
    std::cout << id << "\n";
  }
}

}  // namespace

int runListModules(const std::vector<std::string>& args) {
  Flags flags;
  // --packages and --versions print Go module paths and versions, which a C++ build has
  // none of: the IDs alone, as caddy prints for a module without Go build info.
  if (!parseFlags(args, {}, {"packages", "versions", "skip-standard"}, flags, "list-modules")) {
    return 1;
  }
  const bool skipStandard = boolFlag(flags, "skip-standard");
  if (!skipStandard) {
    printSorted(kStandard);
    std::cout << "\n  Standard modules: " << kStandard.size() << "\n\n";  // caddy's blank line
  }
  printSorted(kNonStandard);
  std::cout << "\n  Non-standard modules: " << kNonStandard.size() << "\n"
            << "\n  Unknown modules: 0\n";
  return 0;
}

}  // namespace gatehouse::cli
