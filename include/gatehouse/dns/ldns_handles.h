#pragma once
// RAII owners for the ldns objects the DNS code holds (ACME DNS-01 and the proxy's lookups).

#include <memory>

#include "gatehouse/dns/ldns_include.h"

namespace gatehouse::dns {

struct LdnsPktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct LdnsRdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct LdnsResolverFree {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
struct LdnsRrFree {
  void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct LdnsRrListFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
struct LdnsStringFree {
  void operator()(char* s) const { free(s); }  // NOLINT: ldns hands out malloc'd strings
};

using LdnsPkt = std::unique_ptr<ldns_pkt, LdnsPktFree>;
using LdnsRdf = std::unique_ptr<ldns_rdf, LdnsRdfFree>;
using LdnsResolver = std::unique_ptr<ldns_resolver, LdnsResolverFree>;
using LdnsRr = std::unique_ptr<ldns_rr, LdnsRrFree>;
using LdnsRrList = std::unique_ptr<ldns_rr_list, LdnsRrListFree>;
using LdnsString = std::unique_ptr<char, LdnsStringFree>;

}  // namespace gatehouse::dns
