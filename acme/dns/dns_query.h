#pragma once
// DNS queries through ldns, for the zone lookup and the propagation check. Blocking: call
// these only from a worker thread (see off_loop.h), never from a loop.

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "dns/name_server.h"
#include "gatehouse/dns/ldns_handles.h"
#include "gatehouse/dns/ldns_include.h"

namespace gatehouse::acme::dns {

using gatehouse::dns::LdnsPkt;
using gatehouse::dns::LdnsRdf;
using gatehouse::dns::LdnsResolver;
using gatehouse::dns::LdnsRr;
using gatehouse::dns::LdnsRrList;
using gatehouse::dns::LdnsString;

struct DnsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ResourceRecord {
  std::string owner;  // lower case, absolute ("a.example.com.")
  ldns_rr_type type = LDNS_RR_TYPE_A;
  std::string data;  // TXT: the strings joined; names: lower case, absolute; A/AAAA: the address
};

struct DnsReply {
  ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
  std::string server;  // who answered
  std::vector<ResourceRecord> answer;
  [[nodiscard]] std::string rcodeName() const;
};

struct QueryOptions {
  bool recursionDesired = true;
  std::chrono::seconds timeout{5};  // per server and attempt
};

// Asks the servers in order and returns the first reply that has answers (else the last
// reply), as certmagic's dnsQuery; UDP with TCP on truncation. Throws DnsError when no
// server answered at all.
DnsReply query(const std::string& name, ldns_rr_type type, const std::vector<NameServer>& servers,
               const QueryOptions& options = {});

// A resolver for one server (ldns keeps one port per resolver), for sending other
// messages such as RFC 2136 updates. Throws DnsError when the server's address is unknown.
LdnsResolver makeResolver(const NameServer& ns, const QueryOptions& options);

// "a.example.com" -> "a.example.com." (lower case).
std::string absoluteName(std::string name);

}  // namespace gatehouse::acme::dns
