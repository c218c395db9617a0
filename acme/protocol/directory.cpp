#include "protocol/directory.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace gatehouse::acme {

namespace {
std::string member(const nlohmann::json& j, const char* name, bool required) {
  if (j.contains(name) && j[name].is_string())
    return j[name];
  if (required)
    throw std::runtime_error(std::string("directory has no \"") + name + "\" URL");
  return {};
}
}  // namespace

AcmeDirectory parseDirectory(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object())
    throw std::runtime_error("directory is not a JSON object");
  AcmeDirectory d;
  d.newNonce = member(j, "newNonce", true);
  d.newAccount = member(j, "newAccount", true);
  d.newOrder = member(j, "newOrder", true);
  d.revokeCert = member(j, "revokeCert", false);
  d.keyChange = member(j, "keyChange", false);
  d.renewalInfo = member(j, "renewalInfo", false);
  if (j.contains("meta") && j["meta"].is_object()) {
    const auto& meta = j["meta"];
    d.termsOfService = member(meta, "termsOfService", false);
    d.externalAccountRequired = meta.contains("externalAccountRequired") &&
                                meta["externalAccountRequired"].is_boolean() &&
                                meta["externalAccountRequired"].get<bool>();
    if (meta.contains("profiles") && meta["profiles"].is_object()) {
      for (const auto& [name, description] : meta["profiles"].items()) {
        d.profiles[name] = description.is_string() ? description.get<std::string>() : "";
      }
    }
  }
  return d;
}

std::string profileProblem(const AcmeDirectory& directory, const std::string& profile) {
  if (profile.empty() || directory.profiles.contains(profile)) {
    return "";
  }
  if (directory.profiles.empty()) {
    return "the CA offers no certificate profiles (its directory has no meta.profiles), so profile '" +
           profile + "' cannot be requested";
  }
  std::string names;
  for (const auto& [name, _] : directory.profiles) {
    names += (names.empty() ? "" : ", ") + name;
  }
  return "the CA does not offer profile '" + profile + "'; available profiles: " + names;
}

}  // namespace gatehouse::acme
