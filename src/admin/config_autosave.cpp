#include "admin/config_autosave.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "admin/config_tree.h"
#include "log/process_log.h"
#include "storage/atomic_file.h"

namespace gatehouse::admin {

std::string appConfigDir() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/caddy";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.config/caddy";
  }
  return "./caddy";
}

std::string autosavePath() {
  return appConfigDir() + "/autosave.json";
}

bool persistWanted(const config::Json& source) {
  if (!source.is_object()) {
    return false;  // caddy autosaves only a config it has
  }
  const auto admin = source.find("admin");
  if (admin == source.end() || !admin->is_object()) {
    return true;
  }
  const auto cfg = admin->find("config");
  if (cfg == admin->end() || !cfg->is_object()) {
    return true;
  }
  const auto persist = cfg->find("persist");
  return persist == cfg->end() || !persist->is_boolean() || persist->get<bool>();
}

void autosaveConfig(const config::Json& source, const std::string& path) {
  const std::string dir = path.substr(0, path.rfind('/'));
  try {
    acme::makeDirs(dir, 0700);
  } catch (const std::exception& e) {
    log::logOwn(log::Level::Error, "", "unable to create folder for config autosave",
                {{"dir", dir}, {"error", e.what()}});
    return;
  }
  try {
    acme::writeFileAtomic(path, goEncode(source), 0600);
  } catch (const std::exception& e) {
    log::logOwn(log::Level::Error, "", "unable to autosave config", {{"file", path}, {"error", e.what()}});
    return;
  }
  log::logOwn(log::Level::Info, "", "autosaved config (load with --resume flag)", {{"file", path}});
}

std::optional<std::string> readAutosave(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace gatehouse::admin
