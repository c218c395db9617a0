#include "dns/acmedns_provider.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gatehouse::acme::dns {

using Json = nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string field(const Json& j, const char* key, const std::string& where) {
  if (!j.contains(key))
    return "";
  if (!j[key].is_string())
    throw std::invalid_argument("acmedns: " + where + key + ": expected a string");
  return j[key].get<std::string>();
}

AcmednsAccount accountOf(const Json& j, const std::string& where) {
  for (const auto& [key, _] : j.items()) {
    if (key != "username" && key != "password" && key != "subdomain" && key != "fulldomain" &&
        key != "server_url")
      throw std::invalid_argument("acmedns: " + where + "'" + key + "' is not an acme-dns account field");
  }
  AcmednsAccount a{field(j, "username", where), field(j, "password", where), field(j, "subdomain", where),
                   field(j, "server_url", where)};
  if (a.username.empty() || a.password.empty() || a.subdomain.empty() || a.serverUrl.empty())
    throw std::invalid_argument("acmedns: " + where +
                                "username, password, subdomain and server_url are all required");
  if (!a.serverUrl.starts_with("https://") && !a.serverUrl.starts_with("http://"))
    throw std::invalid_argument("acmedns: " + where + "server_url: expected an http(s) URL");
  return a;
}

std::map<std::string, AcmednsAccount> accountsOf(const Json& config, const std::string& where) {
  if (!config.is_object() || config.empty())
    throw std::invalid_argument("acmedns: " + where + "config section must have at least one domain");
  std::map<std::string, AcmednsAccount> out;
  for (const auto& [domain, account] : config.items()) {
    if (!account.is_object())
      throw std::invalid_argument("acmedns: " + where + "config." + domain + ": expected an object");
    std::string d = lower(domain);
    if (d.ends_with("."))
      d.pop_back();
    out[d] = accountOf(account, where + "config." + domain + ".");
  }
  return out;
}

// acme-dns-client's storage ({"domain": {account}}) or one account object.
AcmednsSettings fromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::invalid_argument("acmedns: config_file_path: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  const Json j = Json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::invalid_argument("acmedns: config_file_path: " + path + " is not a JSON object");
  AcmednsSettings s;
  if (j.contains("username") || j.contains("server_url")) {
    s.single = accountOf(j, "config_file_path: ");
  } else {
    s.accounts = accountsOf(j, "config_file_path: ");
  }
  return s;
}

}  // namespace

AcmednsSettings acmednsSettings(const Json& p) {
  const std::string file = field(p, "config_file_path", "");
  const bool single =
      p.contains("username") || p.contains("password") || p.contains("subdomain") || p.contains("server_url");
  const int modes = (file.empty() ? 0 : 1) + (single ? 1 : 0) + (p.contains("config") ? 1 : 0);
  if (modes != 1) {
    throw std::invalid_argument(
        "acmedns: use exactly one of config, config_file_path, or username + password + subdomain + "
        "server_url");
  }
  if (!file.empty())
    return fromFile(file);
  AcmednsSettings s;
  if (p.contains("config")) {
    s.accounts = accountsOf(p["config"], "");
  } else {
    Json account = p;
    account.erase("name");
    s.single = accountOf(account, "");
  }
  return s;
}

AcmednsProvider::AcmednsProvider(uv_loop_t* loop, AcmednsSettings settings)
    : settings_(std::move(settings)), loop_(loop) {}

const AcmednsAccount* AcmednsProvider::account(const std::string& fqdn) const {
  if (settings_.accounts.empty())
    return &settings_.single;
  std::string domain = lower(fqdn);
  if (domain.ends_with("."))
    domain.pop_back();
  if (domain.starts_with("_acme-challenge."))
    domain.erase(0, std::string_view("_acme-challenge.").size());
  auto it = settings_.accounts.find(domain);
  return it == settings_.accounts.end() ? nullptr : &it->second;
}

void AcmednsProvider::present(const TxtRecord& record, Done done) {
  const AcmednsAccount* acc = account(record.fqdn);
  if (acc == nullptr)
    return done("acmedns: no account in config for " + withoutDot(record.fqdn));
  auto& api = apis_[acc->serverUrl];
  if (!api) {
    // acme-dns answers {"error": "forbidden" | "bad_txt" | ...} on failure.
    auto describe = [](const Json& j) { return j.is_object() ? j.value("error", std::string()) : ""; };
    api = std::make_unique<JsonApi>(loop_, "acmedns", "", acc->serverUrl, describe);
  }
  const Json body = {{"subdomain", acc->subdomain}, {"txt", record.value}};
  api->call("POST", "/update", {{"X-Api-User", acc->username}, {"X-Api-Key", acc->password}}, body,
            [done = std::move(done)](std::optional<std::string> err, const Json&) { done(err); });
}

}  // namespace gatehouse::acme::dns
