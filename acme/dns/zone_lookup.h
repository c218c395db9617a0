#pragma once
// Finding the zone a name lives in and the zone's authoritative servers, as certmagic does
// (findZoneByFQDN, lookupNameservers): SOA queries from the full name up, one label at a
// time, through the recursive resolvers. Blocking (worker thread only).

#include <string>
#include <vector>

#include "dns/name_server.h"

namespace gatehouse::acme::dns {

// The zone apex ("example.com.") holding `fqdn`. Throws DnsError.
std::string findZone(const std::string& fqdn, const std::vector<NameServer>& resolvers);

// The NS names of `zone` (lower case, absolute). Throws DnsError when there are none.
std::vector<std::string> zoneNameServers(const std::string& zone, const std::vector<NameServer>& resolvers);

}  // namespace gatehouse::acme::dns
