#include "dns/propagation_check.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "dns/dns_query.h"
#include "dns/zone_lookup.h"

namespace gatehouse::acme::dns {

uint16_t authoritativePort() {
  const char* env = std::getenv("GATEHOUSE_TEST_DNS_AUTH_PORT");
  unsigned port = 0;
  if (env != nullptr && std::from_chars(env, env + std::strlen(env), port).ec == std::errc() && port > 0 &&
      port < 65536) {
    return static_cast<uint16_t>(port);
  }
  return 53;
}

PropagationResult checkPropagation(const std::string& fqdnIn, const std::string& value,
                                   const std::vector<NameServer>& resolvers, uint16_t port) {
  std::string fqdn = absoluteName(fqdnIn);
  const DnsReply first = query(fqdn, LDNS_RR_TYPE_TXT, resolvers);
  if (first.rcode == LDNS_RCODE_NOERROR) {
    for (const auto& rr : first.answer) {
      if (rr.type == LDNS_RR_TYPE_CNAME && rr.owner == fqdn)
        fqdn = rr.data;
    }
  }
  const std::string zone = findZone(fqdn, resolvers);
  for (const auto& nsName : zoneNameServers(zone, resolvers)) {
    // The NS's address through the same resolvers, so that a private view works too.
    std::string address = nsName;
    const DnsReply a = query(nsName, LDNS_RR_TYPE_A, resolvers);
    for (const auto& rr : a.answer) {
      if (rr.type == LDNS_RR_TYPE_A)
        address = rr.data;
    }
    const DnsReply r = query(fqdn, LDNS_RR_TYPE_TXT, {NameServer{address, port}});
    if (r.rcode == LDNS_RCODE_NXDOMAIN || r.rcode == LDNS_RCODE_SERVFAIL) {
      return {false, nsName + " answers " + r.rcodeName() + " for " + fqdn};
    }
    if (r.rcode != LDNS_RCODE_NOERROR) {
      throw DnsError("NS " + nsName + " returned " + r.rcodeName() + " for " + fqdn);
    }
    bool found = false;
    for (const auto& rr : r.answer)
      found = found || (rr.type == LDNS_RR_TYPE_TXT && rr.data == value);
    if (!found) {
      return {false, nsName + " (" + r.server + ") does not serve the value at " + fqdn + " yet"};
    }
  }
  return {true, "every authoritative server of " + zone + " serves the value at " + fqdn};
}

}  // namespace gatehouse::acme::dns
