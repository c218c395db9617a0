#include "server/acme_server.h"

#include "crypto/jwk.h"
#include "server/account_records.h"
#include "server/acme_problem.h"
#include "server/acme_server_call.h"

namespace gatehouse::acme::server {

using Json = nlohmann::json;

AcmeResponse jsonResponse(int status, const Json& body) {
  AcmeResponse r;
  r.status = status;
  r.body = body.dump();
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

void addHeader(AcmeResponse& resp, std::string name, std::string value) {
  resp.headers.emplace_back(std::move(name), std::move(value));
}

AcmeServer::AcmeServer(ServerOptions options, std::shared_ptr<const internal::LocalCa> ca,
                       std::shared_ptr<Storage> storage)
    : options_(std::move(options)),
      ca_(std::move(ca)),
      storage_(std::move(storage)),
      store_(std::make_shared<ServerStore>(loadAccounts(*storage_, options_.caId))) {
  // "/acme", "acme/" and "/acme/" all mount the endpoints at /acme/<ca>/..., as chi's
  // Route does in Caddy.
  if (options_.pathPrefix.empty() || options_.pathPrefix.front() != '/') {
    options_.pathPrefix.insert(options_.pathPrefix.begin(), '/');
  }
  if (options_.pathPrefix.back() != '/') {
    options_.pathPrefix.push_back('/');
  }
}

bool AcmeServer::handles(const std::string& path) const {
  return path.compare(0, options_.pathPrefix.size(), options_.pathPrefix) == 0;
}

namespace {

std::string trimSlashes(const std::string& s) {
  const size_t b = s.find_first_not_of('/');
  const size_t e = s.find_last_not_of('/');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "a/b/c" -> {"a","b","c"}
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return out;
}

}  // namespace

AcmeResponse AcmeServer::handle(const AcmeRequest& req) {
  const std::string host = options_.host.empty() ? req.host : options_.host;
  const std::string prefix = trimSlashes(options_.pathPrefix);
  Call call{req, Links{"https://" + host + (prefix.empty() ? "" : "/" + prefix) + "/" + options_.caId},
            {},  {},
            {},  {},
            {}};
  call.url = "https://" + host + req.path;
  const std::string caPart = options_.pathPrefix + options_.caId + "/";
  AcmeResponse resp;
  try {
    if (req.path.compare(0, caPart.size(), caPart) != 0) {
      throw AcmeProblem("malformed",
                        "no ACME endpoint at " + req.path + " (this server's CA is '" + options_.caId + "')",
                        404);
    }
    resp = route(call, req.path.substr(caPart.size()));
  } catch (const AcmeProblem& p) {
    resp.status = p.status();
    resp.headers = {{"Content-Type", "application/problem+json"}};
    resp.body = p.toJson().dump();
  } catch (const std::exception& e) {
    resp.status = 500;
    resp.headers = {{"Content-Type", "application/problem+json"}};
    resp.body = AcmeProblem("serverInternal", e.what(), 500).toJson().dump();
  }
  // A fresh nonce on every answer (RFC 8555 section 6.5), so that a client told badNonce
  // retries at once, and the directory link (section 7.1).
  if (req.method == "POST" || req.method == "HEAD" || resp.status >= 400) {
    addHeader(resp, "Replay-Nonce", store_->newNonce());
  }
  addHeader(resp, "Link", "<" + call.links.to("directory") + ">;rel=\"index\"");
  addHeader(resp, "Cache-Control", "no-store");
  return resp;
}

AcmeResponse AcmeServer::route(Call& call, const std::string& rest) {
  const std::string& method = call.req.method;
  const std::vector<std::string> seg = segments(rest);
  if (seg.size() == 1 && (seg[0] == "directory" || seg[0] == "new-nonce")) {
    if (method != "GET" && method != "HEAD") {
      throw AcmeProblem("malformed", method + " is not allowed on " + seg[0], 405);
    }
    return seg[0] == "directory" ? directory(call) : newNonce(call);
  }
  if (method != "POST") {
    throw AcmeProblem("malformed", "ACME resources are fetched with POST-as-GET (RFC 8555 section 6.3)", 405);
  }
  if (seg.size() == 1 && seg[0] == "new-account") {
    authenticate(call, true);
    return newAccount(call);
  }
  authenticate(call, false);
  if (seg.size() == 1 && seg[0] == "new-order") {
    return newOrder(call);
  }
  if (seg.size() == 2 && seg[0] == "account") {
    return accountResource(call, seg[1]);
  }
  if (seg.size() == 3 && seg[0] == "account" && seg[2] == "orders") {
    return accountOrders(call, seg[1]);
  }
  if (seg.size() == 2 && seg[0] == "order") {
    return orderResource(call, seg[1]);
  }
  if (seg.size() == 3 && seg[0] == "order" && seg[2] == "finalize") {
    return finalize(call, seg[1]);
  }
  if (seg.size() == 2 && seg[0] == "authz") {
    return authorizationResource(call, seg[1]);
  }
  if (seg.size() == 3 && seg[0] == "challenge") {
    return challengeResource(call, seg[1], seg[2]);
  }
  if (seg.size() == 2 && seg[0] == "certificate") {
    return certificateResource(call, seg[1]);
  }
  throw AcmeProblem("malformed", "no ACME endpoint at " + call.req.path, 404);
}

void AcmeServer::authenticate(Call& call, bool wantJwk) {
  if (call.req.contentType != "application/jose+json") {
    throw AcmeProblem("malformed", "expected Content-Type application/jose+json", 415);
  }
  call.jws = parseJws(call.req.body);
  const Json& h = call.jws.header;
  // The nonce first: a client that sees badNonce retries with the one in this answer.
  const Json nonce = h.value("nonce", Json());
  if (!nonce.is_string() || !store_->useNonce(nonce.get<std::string>())) {
    throw AcmeProblem("badNonce", "JWS has an invalid anti-replay nonce", 400);
  }
  const Json url = h.value("url", Json());
  if (!url.is_string() || url.get<std::string>() != call.url) {
    throw unauthorized("JWS url " + url.dump() + " does not match the request URL " + call.url);
  }
  const bool hasJwk = h.contains("jwk");
  const bool hasKid = h.contains("kid");
  if (hasJwk == hasKid) {
    throw malformed("JWS must carry exactly one of jwk and kid");
  }
  Json jwk;
  if (wantJwk) {
    if (!hasJwk) {
      throw malformed("newAccount requests are signed with a jwk, not a kid");
    }
    jwk = h["jwk"];
  } else {
    if (!hasKid) {
      throw malformed("requests other than newAccount are signed with a kid (the account URL)");
    }
    const Json kid = h["kid"];
    const std::string prefix = call.links.account("");
    if (!kid.is_string() || kid.get<std::string>().compare(0, prefix.size(), prefix) != 0) {
      throw AcmeProblem("accountDoesNotExist", "kid " + kid.dump() + " is not an account of this server",
                        400);
    }
    call.account = store_->account(kid.get<std::string>().substr(prefix.size()));
    if (!call.account) {
      throw AcmeProblem("accountDoesNotExist", "account " + kid.get<std::string>() + " does not exist", 400);
    }
    jwk = call.account->jwk;
  }
  PkeyPtr key = publicKeyFromJwk(jwk);
  if (!verifyJws(call.jws, key.get())) {
    throw malformed("JWS signature does not verify");
  }
  if (call.account && call.account->status != Status::Valid) {
    throw unauthorized("account is " + std::string(statusName(call.account->status)));
  }
  call.thumbprint = jwkThumbprint(thumbprintMembers(jwk));
  if (!call.jws.payload.empty()) {
    call.payload = Json::parse(call.jws.payload, nullptr, false);
    if (call.payload.is_discarded() || !call.payload.is_object()) {
      throw malformed("JWS payload is not a JSON object");
    }
  }
}

void AcmeServer::validateLater(const Authorization& authz, const Challenge& challenge,
                               const std::string& thumbprint) {
  ValidationTarget target{challenge.type, authz.identifier, challenge.token + "." + thumbprint,
                          challenge.token};
  const ValidationSettings settings = options_.validation;
  std::shared_ptr<ServerStore> store = store_;
  const std::string authzId = authz.id;
  const std::string challengeId = challenge.id;
  const bool queued = worker_.post([store, target, settings, authzId, challengeId] {
    store->finishChallenge(authzId, challengeId, validateChallenge(target, settings));
  });
  if (!queued) {
    store_->finishChallenge(authzId, challengeId,
                            AcmeProblem("rateLimited", "too many validations waiting", 429).toJson());
  }
}

}  // namespace gatehouse::acme::server
