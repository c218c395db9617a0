#include "server/account_records.h"

#include "storage/storage_keys.h"

namespace gatehouse::acme::server {

namespace {

using Json = nlohmann::json;

Json toJson(const Account& a) {
  return {{"id", a.id},
          {"key", a.jwk},
          {"thumbprint", a.thumbprint},
          {"contact", a.contact},
          {"status", statusName(a.status)},
          {"created", Clock::to_time_t(a.created)}};
}

}  // namespace

std::string accountsPrefix(const std::string& caId) {
  return "acme_server/" + storage_keys::safe(caId) + "/accounts";
}

std::vector<Account> loadAccounts(Storage& storage, const std::string& caId) {
  std::vector<Account> out;
  for (const auto& key : storage.list(accountsPrefix(caId), false)) {
    auto text = storage.load(key);
    Json j = text ? Json::parse(*text, nullptr, false) : Json();
    if (!j.is_object() || !j.value("id", Json()).is_string() || !j.value("key", Json()).is_object() ||
        !j.value("thumbprint", Json()).is_string()) {
      continue;
    }
    Account a;
    a.id = j["id"];
    a.jwk = j["key"];
    a.thumbprint = j["thumbprint"];
    if (j.value("contact", Json()).is_array()) {
      a.contact = j["contact"];
    }
    a.status = j.value("status", "") == "deactivated" ? Status::Deactivated : Status::Valid;
    a.created = Clock::from_time_t(j.value("created", static_cast<std::time_t>(0)));
    out.push_back(std::move(a));
  }
  return out;
}

void storeAccount(Storage& storage, const std::string& caId, const Account& account) {
  storage.store(accountsPrefix(caId) + "/" + account.id + ".json", toJson(account).dump());
}

}  // namespace gatehouse::acme::server
