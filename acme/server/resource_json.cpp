#include "server/resource_json.h"

namespace gatehouse::acme::server {

using Json = nlohmann::json;

namespace {
Json identifierJson(const Identifier& id) {
  return {{"type", id.type}, {"value", id.value}};
}
}  // namespace

Json directoryJson(const Links& links) {
  // keyChange and revokeCert are not offered: Gatehouse's acme_server does not implement
  // them yet, and RFC 8555 lets a directory leave them out.
  return {{"newNonce", links.to("new-nonce")},
          {"newAccount", links.to("new-account")},
          {"newOrder", links.to("new-order")}};
}

Json accountJson(const Account& a, const Links& links) {
  Json out = {{"status", statusName(a.status)}, {"orders", links.account(a.id) + "/orders"}};
  if (!a.contact.empty()) {
    out["contact"] = a.contact;
  }
  return out;
}

Json orderJson(const Order& o, const Links& links) {
  Json out = {{"status", statusName(o.status)}, {"expires", rfc3339(o.expires)}};
  Json ids = Json::array();
  for (const auto& id : o.identifiers) {
    ids.push_back(identifierJson(id));
  }
  out["identifiers"] = ids;
  if (o.notBefore.time_since_epoch().count() != 0) {
    out["notBefore"] = rfc3339(o.notBefore);
  }
  if (o.notAfter.time_since_epoch().count() != 0) {
    out["notAfter"] = rfc3339(o.notAfter);
  }
  Json authz = Json::array();
  for (const auto& id : o.authorizationIds) {
    authz.push_back(links.authz(id));
  }
  out["authorizations"] = authz;
  out["finalize"] = links.order(o.id) + "/finalize";
  if (!o.certificateId.empty()) {
    out["certificate"] = links.certificate(o.certificateId);
  }
  if (!o.error.is_null()) {
    out["error"] = o.error;
  }
  return out;
}

Json challengeJson(const Challenge& c, const std::string& authzId, const Links& links) {
  Json out = {{"type", c.type},
              {"status", statusName(c.status)},
              {"token", c.token},
              {"url", links.challenge(authzId, c.id)}};
  if (c.status == Status::Valid) {
    out["validated"] = rfc3339(c.validated);
  }
  if (!c.error.is_null()) {
    out["error"] = c.error;
  }
  return out;
}

Json authorizationJson(const Authorization& a, const Links& links) {
  Json challenges = Json::array();
  for (const auto& c : a.challenges) {
    challenges.push_back(challengeJson(c, a.id, links));
  }
  Json out = {{"identifier", identifierJson(a.identifier)},
              {"status", statusName(a.status)},
              {"expires", rfc3339(a.expires)},
              {"challenges", challenges}};
  if (a.wildcard) {
    out["wildcard"] = true;
  }
  return out;
}

}  // namespace gatehouse::acme::server
