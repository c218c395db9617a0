#include "dns/dns_provider.h"

namespace gatehouse::acme::dns {

std::string relativeName(const std::string& fqdn, const std::string& zone) {
  if (fqdn == zone)
    return "@";
  if (fqdn.size() > zone.size() + 1 && fqdn.ends_with("." + zone))
    return fqdn.substr(0, fqdn.size() - zone.size() - 1);
  // Not inside the zone: hand over the name without its root dot.
  return fqdn.ends_with(".") ? fqdn.substr(0, fqdn.size() - 1) : fqdn;
}

}  // namespace gatehouse::acme::dns
