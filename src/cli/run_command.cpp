// gatehouse run: load a config (or, with --resume, the autosaved one), provision the
// runtime, serve until SIGINT/SIGTERM.

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "admin/config_autosave.h"
#include "cli/command.h"
#include "cli/config_loader.h"
#include "cli/env_file.h"
#include "cli/environ.h"
#include "cli/pingback.h"
#include "cli/serve_loaded.h"
#include "log/process_log.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "server/server_group.h"

namespace gatehouse::cli {

namespace {

// --resume: the autosaved config when there is one (as caddy: then --config is ignored,
// with a warning), else the usual config file. False (the error printed) when the
// autosave exists but cannot be read.
bool resumeTarget(const Flags& flags, std::string& path, std::string& adapter) {
  const std::string saved = admin::autosavePath();
  try {
    if (!admin::readAutosave(saved)) {
      log::logOwn(log::Level::Info, "", "no autosave file exists", {{"autosave_file", saved}});
      return true;
    }
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return false;
  }
  if (flags.has("config")) {
    log::logOwn(log::Level::Warn, "",
                "--config and --resume flags were used together; ignoring --config and resuming from last "
                "configuration",
                {{"autosave_file", saved}});
  } else {
    log::logOwn(log::Level::Info, "", "resuming from last configuration", {{"autosave_file", saved}});
  }
  path = saved;
  adapter = "json";
  return true;
}

// Prints caddy's error for a config file that cannot be read.
bool readable(const std::string& path) {
  try {
    readFileOrStdin(path);
  } catch (const std::exception& e) {
    std::cerr << "Error: reading config file: " << e.what() << "\n";
    return false;
  }
  return true;
}

// --envfile: the file's variables override the environment, as caddy's.
bool loadEnvFile(const std::string& path) {
  std::string text;
  try {
    text = readFileOrStdin(path);
  } catch (const std::exception& e) {
    std::cerr << "Error: loading additional environment variables: reading environment file: " << e.what()
              << "\n";
    return false;
  }
  try {
    for (const auto& [key, value] : parseEnvFile(text)) {
      ::setenv(key.c_str(), value.c_str(), 1);
    }
  } catch (const std::exception& e) {
    std::cerr << "Error: loading additional environment variables: parsing environment file: " << e.what()
              << "\n";
    return false;
  }
  return true;
}

}  // namespace

int runRun(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "workers", "envfile", "pidfile", "pingback"},
                  {"resume", "environ", "watch"}, flags, "run")) {
    return 1;
  }
  if (flags.has("envfile") && !loadEnvFile(flags.get("envfile"))) {
    return 1;
  }
  if (flags.has("environ")) {
    printEnvironment(std::cout);
    std::cout.flush();  // a service's log shows it before the server's own lines
  }
  std::string path = flags.get("config", "Caddyfile");
  std::string adapter = flags.get("adapter");
  if (flags.has("resume") && !resumeTarget(flags, path, adapter)) {
    return 1;
  }
  const bool resumed = flags.has("resume") && path == admin::autosavePath();
  // As caddy: with neither --config nor ./Caddyfile the process starts with no config (only
  // the admin endpoint, waiting for one through the API).
  const bool none = path == "Caddyfile" && !flags.has("config") && ::access(path.c_str(), F_OK) != 0;
  LoadedConfig loaded;
  if (!none) {
    if (path != "-" && !readable(path)) {  // as caddy: the file is read before anything is logged
      return 1;
    }
    if (path == "Caddyfile" && !flags.has("config")) {
      log::logOwn(log::Level::Info, "", "using adjacent Caddyfile");
    } else if (!resumed) {
      log::logOwn(log::Level::Info, "", "using provided configuration",
                  {{"config_file", path}, {"config_adapter", adapter}});
    }
    if (!loadConfig(path, adapter, loaded)) {
      return 1;
    }
  }
  server::RunOptions options;
  options.configPath = path;
  options.adapter = adapter;
  options.watch = flags.has("watch") && !none && !resumed;
  options.pidFile = flags.get("pidfile");
  if (!workerCount(flags.get("workers"), options.workers)) {
    return 1;
  }
  if (const std::string pingback = flags.get("pingback"); !pingback.empty()) {
    // `gatehouse start` waits for this: stdin's bytes sent back once serving
    options.onServing = [pingback](const config::Json&, std::string& error) {
      return sendPingback(pingback, error);
    };
  }
  // GET /config/ says null for no config, and nothing is autosaved
  return serveLoaded(loaded, path, options,
                     none ? std::optional<config::Json>(config::Json()) : std::nullopt);
}

bool loadBuiltConfig(const std::function<config::Json()>& build, LoadedConfig& out) {
  try {
    out.raw = build();
    out.config = config::configFromJson(out.raw);
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return false;
  }
  return true;
}

bool workerCount(std::string text, unsigned& out) {
  if (text.empty()) {
    if (const char* env = std::getenv("GATEHOUSE_WORKERS")) {
      text = env;
    }
  }
  if (text.empty()) {
    return true;
  }
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || n < 1 || n > 1024) {
    std::cerr << "Error: --workers wants a number from 1 to 1024\n";
    return false;
  }
  out = static_cast<unsigned>(n);
  return true;
}

int serveLoaded(const LoadedConfig& loaded, const std::string& label, const server::RunOptions& options,
                const std::optional<config::Json>& source) {
  printWarnings(loaded.warnings);
  std::shared_ptr<const provision::Runtime> runtime;
  try {
    auto built = provision::provisionRuntime(loaded.config);
    if (source) {
      built->source = *source;
    } else if (!loaded.raw.is_null()) {
      built->source = loaded.raw;  // the admin API serves and edits the config as given
    }
    runtime = std::move(built);
  } catch (const provision::ProvisionError& e) {
    std::cerr << "Error: " << label << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "Error: " << label << ": invalid config: " << e.what() << "\n";
    return 1;
  }
  // A peer that resets mid-write must cost us an EPIPE, not the process.
  signal(SIGPIPE, SIG_IGN);
  const int code = server::serve(std::move(runtime), options);
  log::resetProcessLog();  // writes what the default log still has queued
  return code;
}

}  // namespace gatehouse::cli
