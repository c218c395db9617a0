#include "proxy/upstream_resolver.h"

#include <arpa/inet.h>
#include <uv.h>

#include <cstring>
#include <memory>

#include "gatehouse/dns/ldns_handles.h"

namespace gatehouse::proxy {

namespace {

bool isIp(const std::string& s, int family) {
  unsigned char buf[16];
  return inet_pton(family, s.c_str(), buf) == 1;
}

// One query; appends the answer's addresses of `type` to `out`.
void query(ldns_resolver* res, ldns_rdf* name, ldns_rr_type type, uint16_t port, AddressList& out,
           bool& answered) {
  dns::LdnsPkt pkt(ldns_resolver_query(res, name, type, LDNS_RR_CLASS_IN, LDNS_RD));
  if (!pkt) {
    return;
  }
  answered = true;
  dns::LdnsRrList rrs(ldns_pkt_rr_list_by_type(pkt.get(), type, LDNS_SECTION_ANSWER));
  for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs.get()); ++i) {
    const ldns_rdf* rd = ldns_rr_rdf(ldns_rr_list_rr(rrs.get(), i), 0);
    sockaddr_storage ss{};
    if (type == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
      auto& a = reinterpret_cast<sockaddr_in&>(ss);
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      std::memcpy(&a.sin_addr, ldns_rdf_data(rd), 4);
      out.push_back(ss);
    } else if (type == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
      auto& a = reinterpret_cast<sockaddr_in6&>(ss);
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      std::memcpy(&a.sin6_addr, ldns_rdf_data(rd), 16);
      out.push_back(ss);
    }
  }
}

}  // namespace

std::optional<ResolverAddress> ResolverAddress::parse(const std::string& text) {
  ResolverAddress r;
  std::string rest = text;
  if (rest.rfind("udp/", 0) == 0) {
    rest = rest.substr(4);
  } else if (rest.rfind("tcp/", 0) == 0) {
    r.tcp = true;
    rest = rest.substr(4);
  }
  std::string host = rest;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) {
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return std::nullopt;
    }
    rest = rest.empty() ? "" : rest.substr(1);
  } else if (const auto colon = rest.find(':');
             colon != std::string::npos && rest.find(':', colon + 1) == std::string::npos) {
    host = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
  } else {
    rest.clear();  // bare IPv4 or IPv6
  }
  if (!rest.empty()) {
    if (rest.size() > 5 || rest.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(rest) == 0 || std::stoi(rest) > 65535) {
      return std::nullopt;
    }
    r.port = static_cast<uint16_t>(std::stoi(rest));
  }
  if (!isIp(host, AF_INET) && !isIp(host, AF_INET6)) {
    return std::nullopt;  // a resolver named by a DNS name would need a resolver itself
  }
  r.ip = host;
  return r;
}

int resolveWith(const ResolverAddress& server, const std::string& host, uint16_t port, int family,
                AddressList& out) {
  dns::LdnsResolver res(ldns_resolver_new());
  const bool v6 = isIp(server.ip, AF_INET6);
  dns::LdnsRdf ns(ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, server.ip.c_str()));
  dns::LdnsRdf name(ldns_dname_new_frm_str(host.c_str()));
  if (!res || !ns || !name || ldns_resolver_push_nameserver(res.get(), ns.get()) != LDNS_STATUS_OK) {
    return UV_ENOMEM;
  }
  ldns_resolver_set_port(res.get(), server.port);
  ldns_resolver_set_usevc(res.get(), server.tcp);
  ldns_resolver_set_recursive(res.get(), true);
  ldns_resolver_set_retry(res.get(), 2);
  ldns_resolver_set_timeout(res.get(), timeval{2, 0});
  bool answered = false;
  out.clear();
  // Both families, as Go's resolver asks (the dialer then races them: Happy Eyeballs).
  if (family != AF_INET) {
    query(res.get(), name.get(), LDNS_RR_TYPE_AAAA, port, out, answered);
  }
  if (family != AF_INET6) {
    query(res.get(), name.get(), LDNS_RR_TYPE_A, port, out, answered);
  }
  if (!out.empty()) {
    return 0;
  }
  return answered ? UV_EAI_NONAME : UV_EAI_AGAIN;
}

}  // namespace gatehouse::proxy
