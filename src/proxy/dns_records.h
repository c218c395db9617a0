#pragma once
// The DNS answers dynamic upstreams are built from (`dynamic a`, `dynamic srv`): every
// address of a name, or a name's SRV records in RFC 2782 order. Blocking (ldns, or the
// system's getaddrinfo when no resolver is configured), bounded by a timeout: called on
// libuv's thread pool only, never on a serving loop.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "proxy/upstream_resolver.h"

namespace gatehouse::proxy {

struct SrvRecord {
  std::string target;  // as in the answer, with its trailing dot ("b1.example.test.")
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
};

// How one lookup asks: through `server` when set (else the system's resolver), waiting at
// most `timeout` per try.
struct DnsQuery {
  const ResolverAddress* server = nullptr;
  std::chrono::milliseconds timeout{5'000};
};

// Addresses of `name` (A when `v4`, AAAA when `v6`), as text ("10.0.0.1", "::1"), in answer
// order without duplicates. Empty with `error` set when there is none.
std::vector<std::string> lookupAddresses(const DnsQuery& q, const std::string& name, bool v4, bool v6,
                                         std::string& error);

// The SRV records of `name` ("_http._tcp.example.test"), by priority, then a weighted
// random order among equal priorities (RFC 2782). Empty with `error` set when there is none.
std::vector<SrvRecord> lookupSrv(const DnsQuery& q, const std::string& name, std::string& error);

// Orders records as RFC 2782 asks; `random(n)` returns a number in [0, n).
void orderSrv(std::vector<SrvRecord>& records, const std::function<uint32_t(uint32_t)>& random);

}  // namespace gatehouse::proxy
