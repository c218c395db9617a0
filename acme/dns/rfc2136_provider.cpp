#include "dns/rfc2136_provider.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include "dns/dns_query.h"
#include "dns/off_loop.h"

namespace gatehouse::acme::dns {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// ldns decodes the key itself when signing; this only catches a mistyped key at start-up.
bool validBase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0)
    return false;
  std::vector<unsigned char> buf(text.size());
  return EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(text.data()),
                         static_cast<int>(text.size())) > 0;
}

// One TXT RR: for an addition with its TTL, for a deletion of exactly this value (RFC 2136
// section 2.5.4: class NONE, TTL 0) so other TXT values at the name stay.
LdnsRr txtRecord(const TxtRecord& r, bool add) {
  LdnsRr rr(ldns_rr_new());
  ldns_rdf* owner = ldns_dname_new_frm_str(r.fqdn.c_str());
  ldns_rdf* text = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR, r.value.c_str());
  if (!rr || owner == nullptr || text == nullptr) {
    ldns_rdf_deep_free(owner);
    ldns_rdf_deep_free(text);
    throw DnsError("cannot build the TXT record for " + r.fqdn);
  }
  ldns_rr_set_owner(rr.get(), owner);
  ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_TXT);
  ldns_rr_set_class(rr.get(), add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
  ldns_rr_set_ttl(rr.get(), add ? static_cast<uint32_t>(r.ttl.count()) : 0);
  ldns_rr_push_rdf(rr.get(), text);
  return rr;
}

}  // namespace

std::string Rfc2136Provider::tsigAlgorithm(const std::string& configured) {
  std::string alg = lower(configured);
  if (alg.ends_with("."))
    alg.pop_back();
  if (alg == "hmac-md5" || alg == "hmac-md5.sig-alg.reg.int")
    return "hmac-md5.sig-alg.reg.int.";
  for (const char* known : {"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"}) {
    if (alg == known)
      return alg + ".";
  }
  return "";
}

Rfc2136Provider::Rfc2136Provider(uv_loop_t* loop, const Rfc2136Settings& s) : loop_(loop) {
  if (s.keyName.empty())
    throw std::invalid_argument("rfc2136: missing key_name");
  if (s.key.empty())
    throw std::invalid_argument("rfc2136: missing key");
  if (s.keyAlg.empty())
    throw std::invalid_argument("rfc2136: missing key_alg");
  if (s.server.empty())
    throw std::invalid_argument("rfc2136: missing server");
  keyAlg_ = tsigAlgorithm(s.keyAlg);
  if (keyAlg_.empty()) {
    throw std::invalid_argument(
        "rfc2136: unsupported key_alg '" + s.keyAlg +
        "' (want hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5)");
  }
  if (!validBase64(s.key))
    throw std::invalid_argument("rfc2136: key is not valid base64");
  auto server = parseNameServer(s.server);
  if (!server)
    throw std::invalid_argument("rfc2136: server '" + s.server + "' is not host:port");
  server_ = *server;
  keyName_ = absoluteName(s.keyName);
  key_ = s.key;
}

void Rfc2136Provider::present(const TxtRecord& record, Done done) {
  update(record, true, std::move(done));
}

void Rfc2136Provider::cleanUp(const TxtRecord& record, Done done) {
  update(record, false, std::move(done));
}

void Rfc2136Provider::update(const TxtRecord& record, bool add, Done done) {
  auto error = std::make_shared<std::optional<std::string>>();
  TxtRecord r = record;
  if (r.ttl.count() <= 0)
    r.ttl = std::chrono::seconds(120);
  runOffLoop(
      loop_,
      [r, add, error, server = server_, keyName = keyName_, keyAlg = keyAlg_, key = key_] {
        try {
          LdnsRrList updates(ldns_rr_list_new());
          LdnsRr rr = txtRecord(r, add);
          ldns_rr_list_push_rr(updates.get(), rr.release());
          // The packet takes the zone name.
          ldns_rdf* zone = ldns_dname_new_frm_str(r.zone.c_str());
          if (zone == nullptr)
            throw DnsError("'" + r.zone + "' is not a zone name");
          LdnsPkt pkt(ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, nullptr, updates.get(), nullptr));
          if (!pkt)
            throw DnsError("cannot build the update message");
          ldns_pkt_set_rd(pkt.get(), false);
          ldns_pkt_set_random_id(pkt.get());
          LdnsResolver res = makeResolver(server, QueryOptions{false, std::chrono::seconds(10)});
          ldns_resolver_set_tsig_keyname(res.get(), keyName.c_str());
          ldns_resolver_set_tsig_algorithm(res.get(), keyAlg.c_str());
          ldns_resolver_set_tsig_keydata(res.get(), key.c_str());
          if (ldns_update_pkt_tsig_add(pkt.get(), res.get()) != LDNS_STATUS_OK)
            throw DnsError("cannot sign the update with TSIG key " + keyName);
          ldns_pkt* raw = nullptr;
          const ldns_status st = ldns_resolver_send_pkt(&raw, res.get(), pkt.get());
          LdnsPkt reply(raw);
          if (st != LDNS_STATUS_OK || !reply) {
            throw DnsError(std::string("sending the update to ") + server.describe() + ": " +
                           ldns_get_errorstr_by_id(st));
          }
          const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(reply.get());
          if (rcode != LDNS_RCODE_NOERROR) {
            LdnsString name(ldns_pkt_rcode2str(rcode));
            throw DnsError(server.describe() + " refused the update of zone " + r.zone + ": " +
                           (name ? name.get() : "error"));
          }
        } catch (const std::exception& e) {
          *error = e.what();
        }
      },
      [error, done = std::move(done)] { done(*error); });
}

}  // namespace gatehouse::acme::dns
