#pragma once
// Is a TXT value visible at every authoritative server of its zone? certmagic's
// checkDNSPropagation: ask the recursive resolvers first (to follow a CNAME that delegates
// _acme-challenge elsewhere), find the zone and its NS names, then ask each NS directly.
// Blocking (worker thread only).

#include <string>
#include <vector>

#include "dns/name_server.h"

namespace gatehouse::acme::dns {

struct PropagationResult {
  bool visible = false;
  std::string detail;  // what was seen (or not), for the log
};

// Throws DnsError when the servers cannot be asked or answer with an error.
// `authoritativePort` is 53 except in tests, where BIND listens on a spare port.
PropagationResult checkPropagation(const std::string& fqdn, const std::string& value,
                                   const std::vector<NameServer>& resolvers, uint16_t authoritativePort);

// 53, or GATEHOUSE_TEST_DNS_AUTH_PORT (tests run their authoritative server elsewhere).
uint16_t authoritativePort();

}  // namespace gatehouse::acme::dns
