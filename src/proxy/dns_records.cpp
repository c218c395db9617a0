#include "proxy/dns_records.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>

#include "gatehouse/dns/ldns_handles.h"

namespace gatehouse::proxy {

namespace {

using Resolver = dns::LdnsResolver;

// A resolver asking `server`, or the system's (/etc/resolv.conf) when it is null.
Resolver makeResolver(const DnsQuery& q, std::string& error) {
  Resolver res;
  if (q.server == nullptr) {
    ldns_resolver* r = nullptr;
    if (ldns_resolver_new_frm_file(&r, nullptr) != LDNS_STATUS_OK || r == nullptr) {
      error = "no system DNS resolver configured";
      return nullptr;
    }
    res.reset(r);
  } else {
    res.reset(ldns_resolver_new());
    unsigned char buf[16];
    const bool v6 = inet_pton(AF_INET6, q.server->ip.c_str(), buf) == 1;
    dns::LdnsRdf ns(ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, q.server->ip.c_str()));
    if (!res || !ns || ldns_resolver_push_nameserver(res.get(), ns.get()) != LDNS_STATUS_OK) {
      error = "out of memory";
      return nullptr;
    }
    ldns_resolver_set_port(res.get(), q.server->port);
    ldns_resolver_set_usevc(res.get(), q.server->tcp);
  }
  ldns_resolver_set_recursive(res.get(), true);
  ldns_resolver_set_retry(res.get(), 2);
  const auto ms = std::max<int64_t>(q.timeout.count(), 1);
  ldns_resolver_set_timeout(res.get(), timeval{ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)});
  return res;
}

std::string serverText(const DnsQuery& q) {
  return q.server == nullptr ? std::string() : " on " + q.server->ip + ":" + std::to_string(q.server->port);
}

// The answer records of `type` for `name`; empty with `error` set on failure or no data.
dns::LdnsRrList ask(ldns_resolver* res, const DnsQuery& q, const std::string& name, ldns_rr_type type,
                    std::string& error) {
  dns::LdnsRdf dname(ldns_dname_new_frm_str(name.c_str()));
  if (!dname) {
    error = "lookup " + name + serverText(q) + ": invalid domain name";
    return nullptr;
  }
  dns::LdnsPkt pkt(ldns_resolver_query(res, dname.get(), type, LDNS_RR_CLASS_IN, LDNS_RD));
  if (!pkt) {
    error = "lookup " + name + serverText(q) + ": i/o timeout";
    return nullptr;
  }
  const auto rcode = ldns_pkt_get_rcode(pkt.get());
  if (rcode != LDNS_RCODE_NOERROR) {
    error = "lookup " + name + serverText(q) +
            (rcode == LDNS_RCODE_NXDOMAIN ? ": no such host" : ": server misbehaving");
    return nullptr;
  }
  dns::LdnsRrList rrs(ldns_pkt_rr_list_by_type(pkt.get(), type, LDNS_SECTION_ANSWER));
  if (!rrs || ldns_rr_list_rr_count(rrs.get()) == 0) {
    error = "lookup " + name + serverText(q) + ": no such host";
    return nullptr;
  }
  return rrs;
}

void addUnique(std::vector<std::string>& out, std::string ip) {
  if (std::find(out.begin(), out.end(), ip) == out.end()) {
    out.push_back(std::move(ip));
  }
}

std::vector<std::string> systemAddresses(const std::string& name, bool v4, bool v6, std::string& error) {
  addrinfo hints{};
  hints.ai_family = v4 && v6 ? AF_UNSPEC : v4 ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(res, &freeaddrinfo);
  std::vector<std::string> out;
  if (rc != 0) {
    error = "lookup " + name + ": " + (rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
    return out;
  }
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* src = a->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
        inet_ntop(a->ai_family, src, text, sizeof text)) {
      addUnique(out, text);
    }
  }
  if (out.empty()) {
    error = "lookup " + name + ": no such host";
  }
  return out;
}

}  // namespace

std::vector<std::string> lookupAddresses(const DnsQuery& q, const std::string& name, bool v4, bool v6,
                                         std::string& error) {
  if (q.server == nullptr) {
    return systemAddresses(name, v4, v6, error);
  }
  std::vector<std::string> out;
  Resolver res = makeResolver(q, error);
  if (!res) {
    return out;
  }
  std::string firstError;
  for (const auto type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA}) {
    if ((type == LDNS_RR_TYPE_A && !v4) || (type == LDNS_RR_TYPE_AAAA && !v6)) {
      continue;
    }
    std::string why;
    auto rrs = ask(res.get(), q, name, type, why);
    if (!rrs) {
      firstError = firstError.empty() ? why : firstError;
      continue;
    }
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs.get()); ++i) {
      const ldns_rdf* rd = ldns_rr_rdf(ldns_rr_list_rr(rrs.get(), i), 0);
      const size_t len = type == LDNS_RR_TYPE_A ? 4 : 16;
      char text[INET6_ADDRSTRLEN] = {};
      if (rd != nullptr && ldns_rdf_size(rd) == len &&
          inet_ntop(len == 4 ? AF_INET : AF_INET6, ldns_rdf_data(rd), text, sizeof text) != nullptr) {
        addUnique(out, text);
      }
    }
  }
  if (out.empty()) {
    error = firstError.empty() ? "lookup " + name + serverText(q) + ": no such host" : firstError;
  }
  return out;
}

std::vector<SrvRecord> lookupSrv(const DnsQuery& q, const std::string& name, std::string& error) {
  std::vector<SrvRecord> out;
  Resolver res = makeResolver(q, error);
  if (!res) {
    return out;
  }
  auto rrs = ask(res.get(), q, name, LDNS_RR_TYPE_SRV, error);
  if (!rrs) {
    return out;
  }
  for (size_t i = 0; i < ldns_rr_list_rr_count(rrs.get()); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(rrs.get(), i);
    if (ldns_rr_rd_count(rr) != 4) {
      continue;
    }
    dns::LdnsString target(ldns_rdf2str(ldns_rr_rdf(rr, 3)));
    if (!target) {
      continue;
    }
    SrvRecord r;
    r.priority = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
    r.weight = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
    r.port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
    r.target = target.get();
    out.push_back(std::move(r));
  }
  if (out.empty()) {
    error = "lookup " + name + serverText(q) + ": no such host";
    return out;
  }
  std::mt19937 rng{std::random_device{}()};
  orderSrv(out, [&](uint32_t n) { return n == 0 ? 0U : static_cast<uint32_t>(rng() % n); });
  return out;
}

void orderSrv(std::vector<SrvRecord>& records, const std::function<uint32_t(uint32_t)>& random) {
  std::stable_sort(records.begin(), records.end(),
                   [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
  // Within each priority, repeatedly draw a record with probability proportional to its
  // weight (zero-weight records keep a small chance, as RFC 2782's running sum gives them).
  for (size_t start = 0; start < records.size();) {
    size_t end = start;
    uint32_t sum = 0;
    while (end < records.size() && records[end].priority == records[start].priority) {
      sum += records[end].weight;
      ++end;
    }
    // Zero weights first, as RFC 2782 arranges them before the running sums.
    std::stable_partition(records.begin() + static_cast<std::ptrdiff_t>(start),
                          records.begin() + static_cast<std::ptrdiff_t>(end),
                          [](const SrvRecord& r) { return r.weight == 0; });
    for (size_t i = start; i + 1 < end; ++i) {
      const uint32_t pick = random(sum + 1);
      uint32_t running = 0;
      size_t chosen = i;
      for (size_t j = i; j < end; ++j) {
        running += records[j].weight;
        if (running >= pick) {
          chosen = j;
          break;
        }
      }
      sum -= records[chosen].weight;
      std::swap(records[i], records[chosen]);
    }
    start = end;
  }
}

}  // namespace gatehouse::proxy
