#include "dns/dns_query.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace gatehouse::acme::dns {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string rdfText(const ldns_rdf* rdf) {
  LdnsString text(ldns_rdf2str(rdf));
  return text ? std::string(text.get()) : std::string();
}

// TXT data is a series of <length><bytes> character strings; certmagic compares them joined.
std::string txtData(const ldns_rr* rr) {
  std::string out;
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
    const uint8_t* data = ldns_rdf_data(rdf);
    const size_t size = ldns_rdf_size(rdf);
    if (size == 0)
      continue;
    const size_t len = std::min<size_t>(data[0], size - 1);
    out.append(reinterpret_cast<const char*>(data + 1), len);
  }
  return out;
}

ResourceRecord convert(const ldns_rr* rr) {
  ResourceRecord out;
  out.owner = lower(rdfText(ldns_rr_owner(rr)));
  out.type = ldns_rr_get_type(rr);
  if (out.type == LDNS_RR_TYPE_TXT) {
    out.data = txtData(rr);
  } else if (ldns_rr_rd_count(rr) > 0) {
    out.data = rdfText(ldns_rr_rdf(rr, 0));
    if (out.type == LDNS_RR_TYPE_CNAME || out.type == LDNS_RR_TYPE_NS || out.type == LDNS_RR_TYPE_SOA)
      out.data = lower(out.data);
  }
  return out;
}

// ldns wants addresses; a server given by name is looked up here (we are off the loop).
std::vector<LdnsRdf> addressesOf(const NameServer& ns) {
  std::vector<LdnsRdf> out;
  unsigned char buf[16];
  if (inet_pton(AF_INET, ns.host.c_str(), buf) == 1) {
    out.emplace_back(ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, ns.host.c_str()));
  } else if (inet_pton(AF_INET6, ns.host.c_str(), buf) == 1) {
    out.emplace_back(ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, ns.host.c_str()));
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(ns.host.c_str(), nullptr, &hints, &res) != 0)
      return out;
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
        out.emplace_back(ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, text));
      } else if (a->ai_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text, sizeof text);
        out.emplace_back(ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, text));
      }
    }
    freeaddrinfo(res);
  }
  out.erase(std::remove(out.begin(), out.end(), nullptr), out.end());
  return out;
}

}  // namespace

std::string DnsReply::rcodeName() const {
  LdnsString s(ldns_pkt_rcode2str(rcode));
  return s ? std::string(s.get()) : std::to_string(static_cast<int>(rcode));
}

std::string absoluteName(std::string name) {
  name = lower(std::move(name));
  if (name.empty() || name.back() != '.')
    name += '.';
  return name;
}

LdnsResolver makeResolver(const NameServer& ns, const QueryOptions& options) {
  LdnsResolver res(ldns_resolver_new());
  if (!res)
    throw DnsError("out of memory creating a DNS resolver");
  for (const auto& addr : addressesOf(ns))
    ldns_resolver_push_nameserver(res.get(), addr.get());
  if (ldns_resolver_nameserver_count(res.get()) == 0)
    throw DnsError("cannot find the address of DNS server " + ns.describe());
  ldns_resolver_set_port(res.get(), ns.port);
  ldns_resolver_set_recursive(res.get(), options.recursionDesired);
  ldns_resolver_set_timeout(res.get(), timeval{static_cast<time_t>(options.timeout.count()), 0});
  ldns_resolver_set_retry(res.get(), 1);
  ldns_resolver_set_retrans(res.get(), 1);
  ldns_resolver_set_fallback(res.get(), true);  // TCP when the UDP answer is truncated
  ldns_resolver_set_edns_udp_size(res.get(), 1232);
  return res;
}

DnsReply query(const std::string& name, ldns_rr_type type, const std::vector<NameServer>& servers,
               const QueryOptions& options) {
  LdnsRdf owner(ldns_dname_new_frm_str(name.c_str()));
  if (!owner)
    throw DnsError("'" + name + "' is not a valid DNS name");
  std::optional<DnsReply> last;
  std::string lastError = "no DNS servers to ask";
  for (const auto& ns : servers) {
    try {
      LdnsResolver res = makeResolver(ns, options);
      ldns_pkt* raw = nullptr;
      const ldns_status st = ldns_resolver_send(&raw, res.get(), owner.get(), type, LDNS_RR_CLASS_IN,
                                                options.recursionDesired ? LDNS_RD : 0);
      LdnsPkt pkt(raw);
      if (st != LDNS_STATUS_OK || !pkt) {
        lastError = ns.describe() + ": " + ldns_get_errorstr_by_id(st);
        continue;
      }
      DnsReply reply;
      reply.rcode = ldns_pkt_get_rcode(pkt.get());
      reply.server = ns.describe();
      const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
      for (size_t i = 0; answers != nullptr && i < ldns_rr_list_rr_count(answers); ++i)
        reply.answer.push_back(convert(ldns_rr_list_rr(answers, i)));
      const bool useful = !reply.answer.empty();
      last = std::move(reply);
      if (useful)
        break;
    } catch (const DnsError& e) {
      lastError = e.what();
    }
  }
  if (!last)
    throw DnsError("querying " + name + ": " + lastError);
  return *last;
}

}  // namespace gatehouse::acme::dns
