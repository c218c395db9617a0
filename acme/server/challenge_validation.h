#pragma once
// Validates one ACME challenge against the client (RFC 8555 section 8.3 http-01 and 8.4
// dns-01, RFC 8737 tls-alpn-01; IP identifiers as RFC 8738). Blocking network I/O with
// bounded timeouts: runs on the server's validation thread, never on a loop.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "server/server_model.h"

namespace gatehouse::acme::server {

struct ValidationTarget {
  std::string type;              // "http-01", "dns-01", "tls-alpn-01"
  Identifier identifier;         // dns name (no "*.") or ip
  std::string keyAuthorization;  // token "." thumbprint
  std::string token;
};

struct ValidationSettings {
  // The ports RFC 8555/8737 fix (and Caddy's acme_server uses): 80 and 443.
  uint16_t httpPort = 80;
  uint16_t tlsPort = 443;
  std::chrono::seconds timeout{10};
};

// Null when the challenge is met; else the problem document (connection, incorrectResponse,
// dns, tls, unauthorized) saying what was seen.
nlohmann::json validateChallenge(const ValidationTarget& target, const ValidationSettings& settings);

}  // namespace gatehouse::acme::server
