#include "provision/logging_provision.h"

#include <algorithm>

#include "provision/provision_error.h"

namespace gatehouse::provision {

using config::Json;

namespace {

std::vector<std::string> stringList(const Json& v, const std::string& path) {
  std::vector<std::string> out;
  if (v.is_null()) {
    return out;
  }
  if (!v.is_array()) {
    throw ProvisionError(path, "expected an array of strings");
  }
  for (const auto& e : v) {
    if (!e.is_string()) {
      throw ProvisionError(path, "expected an array of strings");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

log::LogSink makeSink(const std::string& name, const Json& cfg, const std::string& path) {
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected a log object");
  }
  for (const auto& [key, _] : cfg.items()) {
    if (key != "writer" && key != "encoder" && key != "level" && key != "include" && key != "exclude") {
      throw ProvisionError(path + "." + key, "log option '" + key + "' is not supported yet");
    }
  }
  log::LogSink sink;
  sink.name = name;
  auto level = log::parseLevel(cfg.value("level", ""));
  if (!level) {
    throw ProvisionError(path + ".level", "unrecognized log level '" + cfg.value("level", "") + "'");
  }
  sink.minLevel = *level;
  sink.include = stringList(cfg.contains("include") ? cfg["include"] : Json(), path + ".include");
  sink.exclude = stringList(cfg.contains("exclude") ? cfg["exclude"] : Json(), path + ".exclude");
  sink.writer = log::makeWriter(cfg.contains("writer") ? cfg["writer"] : Json(), path + ".writer");
  // Caddy's default encoder: console for a terminal, JSON otherwise.
  const bool console = sink.writer->standardStream() && sink.writer->terminal();
  sink.encoder =
      log::makeEncoder(cfg.contains("encoder") ? cfg["encoder"] : Json(), path + ".encoder", console);
  return sink;
}

// The default log also carries gatehouse's own messages (startup, shutdown), which are
// always written to stderr as JSON: refuse a default log that would send them elsewhere.
void checkDefaultLog(const Json& cfg) {
  if (!cfg.is_object()) {
    return;  // makeSink reports it
  }
  if (cfg.contains("writer") && cfg["writer"].value("output", "") != "stderr") {
    throw ProvisionError("logging.logs.default.writer",
                         "redirecting the default log (gatehouse's own messages) is not supported yet; "
                         "use a named log for access logs");
  }
  if (cfg.contains("encoder") && cfg["encoder"].value("format", "") != "json") {
    throw ProvisionError("logging.logs.default.encoder",
                         "encoders other than json for the default log are not supported yet");
  }
}

std::vector<log::LogSink> makeSinks(const Json& logging) {
  std::vector<log::LogSink> sinks;
  bool haveDefault = false;
  if (!logging.is_null()) {
    if (!logging.is_object()) {
      throw ProvisionError("logging", "expected an object");
    }
    for (const auto& [key, _] : logging.items()) {
      if (key != "logs") {
        throw ProvisionError("logging." + key, "logging option '" + key + "' is not supported yet");
      }
    }
    if (logging.contains("logs")) {
      for (const auto& [name, cfg] : logging["logs"].items()) {
        if (name == "default") {
          checkDefaultLog(cfg);
        }
        sinks.push_back(makeSink(name, cfg, "logging.logs." + name));
        haveDefault = haveDefault || name == "default";
      }
    }
  }
  if (!haveDefault) {
    sinks.push_back(makeSink("default", Json::object(), "logging.logs.default"));
  }
  return sinks;
}

bool anyServerLogs(const config::Config& config) {
  if (!config.http) {
    return false;
  }
  return std::any_of(config.http->servers.begin(), config.http->servers.end(),
                     [](const auto& s) { return !s.second.logs.is_null(); });
}

}  // namespace

std::shared_ptr<log::LogService> provisionLogging(const config::Config& config) {
  auto sinks = makeSinks(config.logging);
  if (!anyServerLogs(config)) {
    return nullptr;
  }
  return std::make_shared<log::LogService>(std::move(sinks));
}

std::unique_ptr<log::AccessLog> provisionAccessLog(const Json& logs, const std::string& path,
                                                   std::shared_ptr<log::LogService> service) {
  if (!logs.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  log::AccessLogConfig cfg;
  for (const auto& [key, value] : logs.items()) {
    const std::string p = path + "." + key;
    if (key == "default_logger_name") {
      cfg.defaultLoggerName = value.get<std::string>();
    } else if (key == "logger_names") {
      for (const auto& [host, names] : value.items()) {
        // Caddy 2.6 maps a host to one name, newer versions to a list.
        cfg.loggerNames[host] = names.is_string() ? std::vector<std::string>{names.get<std::string>()}
                                                  : stringList(names, p + "." + host);
      }
    } else if (key == "skip_hosts") {
      cfg.skipHosts = stringList(value, p);
    } else if (key == "skip_unmapped_hosts") {
      cfg.skipUnmappedHosts = value.get<bool>();
    } else if (key == "should_log_credentials") {
      cfg.logCredentials = value.get<bool>();
    } else {
      throw ProvisionError(p, "server log option '" + key + "' is not supported yet");
    }
  }
  return std::make_unique<log::AccessLog>(std::move(cfg), std::move(service));
}

}  // namespace gatehouse::provision
