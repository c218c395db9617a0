#include "server/config_reloader.h"

#include <fstream>
#include <sstream>

#include "gatehouse/parser/adapter.h"
#include "gatehouse/parser/config_error.h"
#include "provision/provision_error.h"

namespace gatehouse::server {

namespace {
bool sameAdmin(const provision::AdminSpec& a, const provision::AdminSpec& b) {
  return a.disabled == b.disabled && a.listen == b.listen;
}
}  // namespace

bool ConfigReloader::reloadFile(std::string& error) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    error = "cannot read '" + path_ + "'";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const bool json = adapter_ == "json" || (adapter_.empty() && path_.ends_with(".json"));
  return apply(ss.str(), json, path_, error);
}

bool ConfigReloader::load(std::string_view body, std::string_view contentType, std::string& error) {
  const bool caddyfile = contentType.starts_with("text/caddyfile");
  if (!caddyfile && !contentType.empty() && !contentType.starts_with("application/json")) {
    error = "unsupported Content-Type '" + std::string(contentType) +
            "' (use application/json or text/caddyfile)";
    return false;
  }
  return apply(std::string(body), !caddyfile, "Caddyfile", error);
}

bool ConfigReloader::apply(const std::string& text, bool json, const std::string& name, std::string& error) {
  auto running = group_.current();
  std::shared_ptr<const provision::Runtime> next;
  try {
    config::Config cfg =
        json ? config::configFromJson(config::Json::parse(text)) : parser::adaptCaddyfile(text, name).config;
    next = provision::provisionRuntime(cfg, running.get());
  } catch (const provision::ProvisionError& e) {
    error = e.what();
    return false;
  } catch (const std::exception& e) {
    error = std::string("invalid config: ") + e.what();
    return false;
  }
  if (next->servers.empty()) {
    error = "the config defines no HTTP servers";
    return false;
  }
  if (running && !sameAdmin(running->admin, next->admin)) {
    error = "changing the admin endpoint needs a restart";
    return false;
  }
  if (!group_.reload(next, error)) {
    return false;
  }
  provision::startCertificateManagement(*next);
  return true;
}

std::string ConfigReloader::currentConfig() const {
  auto running = group_.current();
  return running ? config::dump(running->source, false) : "null";
}

}  // namespace gatehouse::server
