#include "dns/zone_lookup.h"

#include "dns/dns_query.h"

namespace gatehouse::acme::dns {

namespace {
std::string parentOf(const std::string& name) {
  const size_t dot = name.find('.');
  return dot == std::string::npos ? "" : name.substr(dot + 1);
}
}  // namespace

std::string findZone(const std::string& fqdn, const std::vector<NameServer>& resolvers) {
  std::string lastProblem;
  for (std::string name = absoluteName(fqdn); !name.empty() && name != "."; name = parentOf(name)) {
    DnsReply r;
    try {
      r = query(name, LDNS_RR_TYPE_SOA, resolvers);
    } catch (const DnsError& e) {
      lastProblem = e.what();  // no answer for this label; certmagic moves on to the parent
      continue;
    }
    if (r.rcode != LDNS_RCODE_NOERROR && r.rcode != LDNS_RCODE_NXDOMAIN) {
      throw DnsError("unexpected response code '" + r.rcodeName() + "' for " + name + " from " + r.server);
    }
    // A CNAME cannot sit at a zone apex, so a name with one is not the apex.
    bool cname = false;
    for (const auto& rr : r.answer)
      cname = cname || rr.type == LDNS_RR_TYPE_CNAME;
    for (const auto& rr : r.answer) {
      if (!cname && rr.type == LDNS_RR_TYPE_SOA)
        return rr.owner;
    }
    lastProblem = r.rcodeName();
  }
  throw DnsError("could not find the start of authority for " + absoluteName(fqdn) +
                 (lastProblem.empty() ? "" : ": " + lastProblem));
}

std::vector<std::string> zoneNameServers(const std::string& zone, const std::vector<NameServer>& resolvers) {
  const DnsReply r = query(zone, LDNS_RR_TYPE_NS, resolvers);
  std::vector<std::string> out;
  for (const auto& rr : r.answer) {
    if (rr.type == LDNS_RR_TYPE_NS)
      out.push_back(rr.data);
  }
  if (out.empty())
    throw DnsError("could not determine the authoritative nameservers of " + zone);
  return out;
}

}  // namespace gatehouse::acme::dns
