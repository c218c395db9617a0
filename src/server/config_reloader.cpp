#include "server/config_reloader.h"

#include <fstream>
#include <sstream>

#include "admin/config_tree.h"
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
  try {
    if (json) {
      return loadJson(config::Json::parse(ss.str()), error);
    }
    return apply(parser::adaptCaddyfile(ss.str(), path_).config, nullptr, error);
  } catch (const std::exception& e) {
    error = std::string("invalid config: ") + e.what();
    return false;
  }
}

bool ConfigReloader::loadJson(const config::Json& raw, std::string& error) {
  config::Config cfg;
  if (raw.is_null()) {
    // DELETE /config/: caddy runs the null config (every app stopped, the admin API left)
    return apply(cfg, &raw, error);
  }
  try {
    cfg = config::configFromJson(admin::withoutIds(raw));
  } catch (const std::exception& e) {
    error = std::string("invalid config: ") + e.what();
    return false;
  }
  return apply(cfg, &raw, error);
}

bool ConfigReloader::apply(const config::Config& cfg, const config::Json* raw, std::string& error) {
  auto running = group_.current();
  std::shared_ptr<const provision::Runtime> next;
  try {
    auto built = provision::provisionRuntime(cfg, running.get());
    if (raw != nullptr) {
      built->source = *raw;
    }
    next = std::move(built);
  } catch (const provision::ProvisionError& e) {
    error = e.what();
    return false;
  } catch (const std::exception& e) {
    error = std::string("invalid config: ") + e.what();
    return false;
  }
  if (running && !sameAdmin(running->admin, next->admin)) {
    error = "changing the admin endpoint needs a restart";
    return false;
  }
  // The new config's certificates and loader start as soon as it serves, not after the
  // old config's shutdown_delay (which reload() waits out).
  return group_.reload(next, error, [&] {
    provision::startCertificateManagement(*next);
    if (onApplied_) {
      onApplied_(*next);
    }
  });
}

config::Json ConfigReloader::currentConfig() const {
  auto running = group_.current();
  return running ? running->source : config::Json();
}

}  // namespace gatehouse::server
