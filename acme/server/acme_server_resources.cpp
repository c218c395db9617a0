// The ACME server's endpoints (RFC 8555 section 7): directory, nonces, accounts, orders,
// authorizations, challenges, finalize and certificate download. Requests reach these
// already authenticated (acme_server.cpp).

#include <arpa/inet.h>

#include <algorithm>
#include <ctime>

#include "crypto/base64url.h"
#include "server/account_records.h"
#include "server/acme_problem.h"
#include "server/acme_server_call.h"

namespace gatehouse::acme::server {

using Json = nlohmann::json;

namespace {

constexpr auto kOrderLifetime = std::chrono::hours(24);
constexpr size_t kMaxIdentifiers = 100;
// smallstep's bounds for Caddy's provisioner (MinTLSDur, MaxTLSDur).
constexpr auto kMinLifetime = std::chrono::minutes(5);
constexpr auto kMaxLifetime = std::chrono::hours(24 * 365);

bool validDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') {
    return false;
  }
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
      continue;
    }
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) {
      return false;
    }
  }
  return true;
}

bool validIp(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

Identifier parseIdentifier(const Json& j) {
  if (!j.is_object() || !j.value("type", Json()).is_string() || !j.value("value", Json()).is_string()) {
    throw malformed("an identifier is an object with string type and value");
  }
  Identifier id{j["type"], j["value"]};
  if (id.type == "dns") {
    const std::string bare = id.value.rfind("*.", 0) == 0 ? id.value.substr(2) : id.value;
    if (!validDnsName(bare)) {
      throw AcmeProblem("rejectedIdentifier", "invalid DNS name " + Json(id.value).dump(), 400);
    }
  } else if (id.type == "ip") {
    if (!validIp(id.value)) {
      throw AcmeProblem("rejectedIdentifier", "invalid IP address " + Json(id.value).dump(), 400);
    }
  } else {
    throw AcmeProblem("unsupportedIdentifier",
                      "identifier type " + Json(id.type).dump() + " is not supported", 400);
  }
  return id;
}

// Go marshals times as RFC 3339; clients send them so. Only UTC ("Z") forms are taken.
Clock::time_point parseTime(const Json& j, const char* what) {
  if (j.is_null()) {
    return {};
  }
  std::tm tm{};
  const std::string s = j.is_string() ? j.get<std::string>() : "";
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    throw malformed(std::string(what) + " is not an RFC 3339 time");
  }
  if (*end == '.') {
    for (++end; *end >= '0' && *end <= '9'; ++end) {
    }
  }
  if (std::string_view(end) != "Z") {
    throw malformed(std::string(what) + " must be in UTC (\"Z\")");
  }
  return Clock::from_time_t(timegm(&tm));
}

Authorization authorizationFor(const Identifier& id, const std::string& accountId,
                               Clock::time_point expires) {
  Authorization a;
  a.accountId = accountId;
  a.expires = expires;
  a.wildcard = id.value.rfind("*.", 0) == 0;
  a.identifier = a.wildcard ? Identifier{id.type, id.value.substr(2)} : id;
  // One token for every challenge of the authorization, as smallstep hands them out.
  const std::string token = randomId();
  std::vector<std::string> types;
  if (a.wildcard) {
    types = {"dns-01"};
  } else if (id.type == "ip") {
    types = {"http-01", "tls-alpn-01"};
  } else {
    types = {"dns-01", "http-01", "tls-alpn-01"};
  }
  for (const auto& t : types) {
    Challenge c;
    c.type = t;
    c.token = token;
    a.challenges.push_back(c);
  }
  return a;
}

template <typename T>
void requireOwner(const T& resource, const AcmeServer::Call& call, const char* what) {
  if (resource.accountId != call.account->id) {
    throw unauthorized(std::string(what) + " belongs to another account");
  }
}

}  // namespace

AcmeResponse AcmeServer::directory(const Call& call) {
  return jsonResponse(200, directoryJson(call.links));
}

AcmeResponse AcmeServer::newNonce(const Call& call) {
  AcmeResponse r;
  // RFC 8555 section 7.2: 200 to HEAD, 204 to GET; the nonce header is added by handle().
  r.status = call.req.method == "HEAD" ? 200 : 204;
  if (r.status == 204) {
    addHeader(r, "Replay-Nonce", store_->newNonce());
  }
  return r;
}

AcmeResponse AcmeServer::newAccount(Call& call) {
  if (!call.payload.is_object()) {
    throw malformed("newAccount needs a JSON payload");
  }
  if (auto existing = store_->accountByThumbprint(call.thumbprint)) {
    AcmeResponse r = jsonResponse(200, accountJson(*existing, call.links));
    addHeader(r, "Location", call.links.account(existing->id));
    return r;
  }
  if (call.payload.value("onlyReturnExisting", false) == true) {
    throw AcmeProblem("accountDoesNotExist", "no account exists with this key", 400);
  }
  Account a;
  a.jwk = thumbprintMembers(call.jws.header["jwk"]);
  a.thumbprint = call.thumbprint;
  a.created = Clock::now();
  if (call.payload.contains("contact")) {
    const Json& c = call.payload["contact"];
    if (!c.is_array() || !std::all_of(c.begin(), c.end(), [](const Json& v) { return v.is_string(); })) {
      throw malformed("contact must be an array of URLs");
    }
    a.contact = c;
  }
  a = store_->addAccount(std::move(a));
  std::shared_ptr<Storage> storage = storage_;
  const std::string caId = options_.caId;
  worker_.post(
      [storage, caId, a] {
        try {
          storeAccount(*storage, caId, a);
        } catch (const std::exception&) {
          // The account works for as long as the process runs; a restart asks for a new one.
        }
      },
      true);
  AcmeResponse r = jsonResponse(201, accountJson(a, call.links));
  addHeader(r, "Location", call.links.account(a.id));
  return r;
}

AcmeResponse AcmeServer::accountResource(Call& call, const std::string& id) {
  if (id != call.account->id) {
    throw unauthorized("the kid does not name this account");
  }
  Account a = *call.account;
  if (call.payload.is_object()) {
    if (call.payload.contains("contact")) {
      if (!call.payload["contact"].is_array()) {
        throw malformed("contact must be an array of URLs");
      }
      a.contact = call.payload["contact"];
    }
    if (call.payload.value("status", "") == "deactivated") {
      a.status = Status::Deactivated;
    }
    store_->replaceAccount(a);
    std::shared_ptr<Storage> storage = storage_;
    const std::string caId = options_.caId;
    worker_.post(
        [storage, caId, a] {
          try {
            storeAccount(*storage, caId, a);
          } catch (const std::exception&) {
          }
        },
        true);
  }
  return jsonResponse(200, accountJson(a, call.links));
}

AcmeResponse AcmeServer::accountOrders(Call& call, const std::string& id) {
  if (id != call.account->id) {
    throw unauthorized("the kid does not name this account");
  }
  Json urls = Json::array();
  for (const auto& o : store_->orderIdsOf(id)) {
    urls.push_back(call.links.order(o));
  }
  return jsonResponse(200, {{"orders", urls}});
}

AcmeResponse AcmeServer::newOrder(Call& call) {
  if (!call.payload.is_object() || !call.payload.value("identifiers", Json()).is_array() ||
      call.payload["identifiers"].empty()) {
    throw malformed("newOrder needs a non-empty identifiers array");
  }
  if (call.payload["identifiers"].size() > kMaxIdentifiers) {
    throw AcmeProblem("rejectedIdentifier", "at most 100 identifiers per order", 400);
  }
  Order o;
  o.accountId = call.account->id;
  o.expires = Clock::now() + kOrderLifetime;
  for (const auto& j : call.payload["identifiers"]) {
    Identifier id = parseIdentifier(j);
    if (std::find(o.identifiers.begin(), o.identifiers.end(), id) == o.identifiers.end()) {
      o.identifiers.push_back(std::move(id));
    }
  }
  o.notBefore = parseTime(call.payload.value("notBefore", Json()), "notBefore");
  o.notAfter = parseTime(call.payload.value("notAfter", Json()), "notAfter");
  if (o.notAfter.time_since_epoch().count() != 0) {
    const auto from = o.notBefore.time_since_epoch().count() != 0 ? o.notBefore : Clock::now();
    if (o.notAfter - from < kMinLifetime || o.notAfter - from > kMaxLifetime) {
      throw malformed("the requested lifetime must be between 5 minutes and 365 days");
    }
  }
  std::vector<Authorization> authz;
  for (const auto& id : o.identifiers) {
    authz.push_back(authorizationFor(id, o.accountId, o.expires));
  }
  o = store_->addOrder(std::move(o), std::move(authz));
  AcmeResponse r = jsonResponse(201, orderJson(o, call.links));
  addHeader(r, "Location", call.links.order(o.id));
  return r;
}

AcmeResponse AcmeServer::orderResource(Call& call, const std::string& id) {
  auto o = store_->order(id);
  if (!o) {
    throw AcmeProblem("malformed", "order " + id + " does not exist", 404);
  }
  requireOwner(*o, call, "the order");
  return jsonResponse(200, orderJson(*o, call.links));
}

AcmeResponse AcmeServer::finalize(Call& call, const std::string& id) {
  auto o = store_->order(id);
  if (!o) {
    throw AcmeProblem("malformed", "order " + id + " does not exist", 404);
  }
  requireOwner(*o, call, "the order");
  if (o->status != Status::Ready) {
    throw AcmeProblem("orderNotReady", "the order is " + std::string(statusName(o->status)) + ", not ready",
                      403);
  }
  const Json csr = call.payload.is_object() ? call.payload.value("csr", Json()) : Json();
  auto der = csr.is_string() ? base64urlDecode(csr.get<std::string>()) : std::nullopt;
  if (!der) {
    throw malformed("finalize needs a base64url csr");
  }
  // A bad CSR leaves the order ready for another try.
  const std::string chain = signOrderCsr(*der, *o, *ca_, options_.signing);
  if (!store_->beginFinalize(id)) {
    throw AcmeProblem("orderNotReady", "the order is no longer ready", 403);
  }
  store_->finishFinalize(id, IssuedCertificate{randomId(), o->accountId, chain}, nullptr);
  o = store_->order(id);
  AcmeResponse r = jsonResponse(200, orderJson(*o, call.links));
  addHeader(r, "Location", call.links.order(id));
  return r;
}

AcmeResponse AcmeServer::authorizationResource(Call& call, const std::string& id) {
  auto a = store_->authorization(id);
  if (!a) {
    throw AcmeProblem("malformed", "authorization " + id + " does not exist", 404);
  }
  requireOwner(*a, call, "the authorization");
  return jsonResponse(200, authorizationJson(*a, call.links));
}

AcmeResponse AcmeServer::challengeResource(Call& call, const std::string& authzId,
                                           const std::string& challengeId) {
  auto a = store_->authorization(authzId);
  if (!a) {
    throw AcmeProblem("malformed", "authorization " + authzId + " does not exist", 404);
  }
  requireOwner(*a, call, "the challenge");
  std::optional<Challenge> c;
  if (call.payload.is_object()) {
    // {} asks for validation (RFC 8555 section 7.5.1); an empty payload only reads it.
    bool started = false;
    c = store_->startChallenge(authzId, challengeId, started);
    if (c && started) {
      validateLater(*a, *c, call.thumbprint);
    }
  } else {
    for (const auto& ch : a->challenges) {
      if (ch.id == challengeId) {
        c = ch;
      }
    }
  }
  if (!c) {
    throw AcmeProblem("malformed", "challenge " + challengeId + " does not exist", 404);
  }
  AcmeResponse r = jsonResponse(200, challengeJson(*c, authzId, call.links));
  addHeader(r, "Link", "<" + call.links.authz(authzId) + ">;rel=\"up\"");
  return r;
}

AcmeResponse AcmeServer::certificateResource(Call& call, const std::string& id) {
  auto cert = store_->certificate(id);
  if (!cert) {
    throw AcmeProblem("malformed", "certificate " + id + " does not exist", 404);
  }
  requireOwner(*cert, call, "the certificate");
  AcmeResponse r;
  r.status = 200;
  r.body = cert->pemChain;
  addHeader(r, "Content-Type", "application/pem-certificate-chain");
  return r;
}

}  // namespace gatehouse::acme::server
