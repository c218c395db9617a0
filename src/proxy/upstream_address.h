#pragma once
// An upstream's dial address as Caddy writes it in JSON: "host:port", "[v6]:port" or
// "unix//path". A DNS name is resolved at dial time (HostLookup, on libuv's thread pool);
// "localhost" is taken as 127.0.0.1.

#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>

#include <optional>
#include <string>
#include <vector>

namespace gatehouse::proxy {

struct UpstreamAddress {
  std::string dial;  // as configured: {http.reverse_proxy.upstream.hostport}
  bool unix = false;
  std::string path;         // unix socket path
  sockaddr_storage addr{};  // tcp
  std::string host;         // host part (no brackets)
  std::string port;
  bool resolve = false;  // `host` is a DNS name: look it up before each dial
  // tcp4/ or tcp6/ (Go's networks): only that family is looked up and dialled; an IP of
  // the other family fails to dial, as in Go ("no suitable address"). AF_UNSPEC: tcp.
  int family = AF_UNSPEC;
  // A looked-up name's other addresses, in dial order after `addr` (DialRace races them).
  std::vector<sockaddr_storage> alternates;

  // Takes a lookup's answer (non-empty): the first becomes `addr`, the rest `alternates`.
  void setResolved(std::vector<sockaddr_storage>& addresses);
  // The family a tcp4/ or tcp6/ upstream forbids `addr` to be of.
  [[nodiscard]] bool unsuitableAddress() const { return family != AF_UNSPEC && addr.ss_family != family; }

  // nullopt with `error` set when the address is malformed or its network cannot carry
  // HTTP. Addresses with placeholders are templates: see resolveTemplate.
  static std::optional<UpstreamAddress> parse(const std::string& dial, std::string& error);

  // A dial address a request's placeholders produced (Caddy's fillDialInfo): one socket,
  // with a port. nullopt with `error` worded as Caddy's ("invalid dial address ...",
  // "dial address must represent precisely one socket ...").
  static std::optional<UpstreamAddress> parseResolved(const std::string& dial, std::string& error);

  static bool isTemplate(const std::string& dial) { return dial.find('{') != std::string::npos; }

  // Whether `dial` names a network other than tcp, tcp4, tcp6 or unix ("udp/...",
  // "unixgram//...", or "api/*:80" from a Caddyfile's `reverse_proxy api/* ...`). Caddy
  // loads such an upstream and fails its dial per request (502).
  static bool namesForeignNetwork(const std::string& dial);
};

}  // namespace gatehouse::proxy
