#pragma once
// `transport http { resolvers ... }`: upstream names looked up by asking these DNS servers
// directly (AAAA and A), one chosen at random per lookup as Caddy does, instead of the
// system's resolver. The query runs on libuv's thread pool (ldns, blocking, bounded by a
// timeout), so the loop never waits. Immutable after provision.

#include <sys/socket.h>

#include <optional>
#include <string>
#include <vector>

namespace gatehouse::proxy {

struct ResolverAddress {
  std::string ip;
  uint16_t port = 53;
  bool tcp = false;
  // "1.1.1.1", "1.1.1.1:53", "udp/[::1]:5353", "tcp/9.9.9.9"; nullopt when malformed.
  static std::optional<ResolverAddress> parse(const std::string& text);
};

using AddressList = std::vector<sockaddr_storage>;

// Blocking: every address of `host` from `server` (AAAA and A records, or only those of
// `family` when it is AF_INET or AF_INET6) with `port` filled in, unsorted; or a libuv
// error (UV_EAI_NONAME, UV_EAI_AGAIN). Called on a thread-pool thread only.
int resolveWith(const ResolverAddress& server, const std::string& host, uint16_t port, int family,
                AddressList& out);

}  // namespace gatehouse::proxy
