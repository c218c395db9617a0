#pragma once
// URLs and JSON bodies of the ACME server's resources (RFC 8555 section 7.1), laid out as
// smallstep's linker lays them out for Caddy: <base>/new-account, <base>/account/<id>,
// <base>/order/<id>, <base>/order/<id>/finalize, <base>/authz/<id>,
// <base>/challenge/<authz>/<id>, <base>/certificate/<id>, with <base> =
// https://<host>/<prefix>/<ca>.

#include <nlohmann/json.hpp>
#include <string>

#include "server/server_model.h"

namespace gatehouse::acme::server {

struct Links {
  std::string base;
  [[nodiscard]] std::string to(const std::string& rest) const { return base + "/" + rest; }
  [[nodiscard]] std::string account(const std::string& id) const { return to("account/" + id); }
  [[nodiscard]] std::string order(const std::string& id) const { return to("order/" + id); }
  [[nodiscard]] std::string authz(const std::string& id) const { return to("authz/" + id); }
  [[nodiscard]] std::string challenge(const std::string& authzId, const std::string& id) const {
    return to("challenge/" + authzId + "/" + id);
  }
  [[nodiscard]] std::string certificate(const std::string& id) const { return to("certificate/" + id); }
};

nlohmann::json directoryJson(const Links& links);
nlohmann::json accountJson(const Account& a, const Links& links);
nlohmann::json orderJson(const Order& o, const Links& links);
nlohmann::json challengeJson(const Challenge& c, const std::string& authzId, const Links& links);
nlohmann::json authorizationJson(const Authorization& a, const Links& links);

}  // namespace gatehouse::acme::server
