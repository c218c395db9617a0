#include "cli/config_loader.h"

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "admin/config_tree.h"
#include "cli/command.h"
#include "gatehouse/parser/adapter.h"

namespace gatehouse::cli {

namespace {
bool looksLikeJson(const std::string& path) {
  return path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
}
}  // namespace

bool loadConfig(const std::string& path, const std::string& adapter, LoadedConfig& out,
                std::string_view readContext) {
  std::string text;
  try {
    text = readFileOrStdin(path);
  } catch (const std::exception& e) {
    std::cerr << "Error: " << readContext << ": " << e.what() << "\n";
    return false;
  }
  const bool json = adapter == "json" || (adapter.empty() && looksLikeJson(path));
  if (!json && !adapter.empty() && adapter != "caddyfile") {
    std::cerr << "Error: unrecognized config adapter: " << adapter << "\n";  // caddy's words
    return false;
  }
  try {
    if (json) {
      out.raw = config::Json::parse(text);
      // @id members name objects for the admin API (/id/...); modules never see them.
      out.config = config::configFromJson(admin::withoutIds(out.raw));
    } else {
      auto result = parser::adaptCaddyfile(text, path);
      out.config = std::move(result.config);
      out.warnings = std::move(result.warnings);
    }
  } catch (const parser::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return false;
  } catch (const config::Json::parse_error& e) {
    std::cerr << path << ": invalid JSON: " << e.what() << "\n";
    return false;
  } catch (const std::invalid_argument& e) {
    std::cerr << path << ": " << e.what() << "\n";
    return false;
  } catch (const config::Json::exception& e) {
    // A value of the wrong type that no reader checked with its path: still an error, not an abort.
    std::cerr << path << ": invalid config: " << e.what() << "\n";
    return false;
  }
  return true;
}

void printWarnings(const std::vector<parser::Warning>& warnings) {
  for (const auto& w : warnings) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    config::Json line = config::Json::object();
    line["level"] = "warn";
    line["ts"] = std::chrono::duration<double>(now).count();
    line["logger"] = "caddyfile";
    line["msg"] = w.message;
    if (w.loc.line > 0) {
      line["file"] = w.loc.file();
      line["line"] = w.loc.line;
    }
    std::cerr << line.dump(-1, ' ', false, config::Json::error_handler_t::replace) << "\n";
  }
}

}  // namespace gatehouse::cli
