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

// Caddy's LogSampling: interval in nanoseconds, first, thereafter; zero values take the
// defaults (1s, 100, 100).
log::SamplingPolicy samplingPolicy(const Json& cfg, const std::string& path) {
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  log::SamplingPolicy policy;
  for (const auto& [key, value] : cfg.items()) {
    if (key != "interval" && key != "first" && key != "thereafter") {
      throw ProvisionError(path + "." + key, "sampling option '" + key + "' is not supported yet");
    }
    if (!value.is_number_integer() || value.get<int64_t>() < 0) {
      throw ProvisionError(path + "." + key, "expected a non-negative integer");
    }
    const auto n = value.get<int64_t>();
    if (n == 0) {
      continue;
    }
    if (key == "interval") {
      policy.intervalNs = n;
    } else if (key == "first") {
      policy.first = static_cast<uint64_t>(n);
    } else {
      policy.thereafter = static_cast<uint64_t>(n);
    }
  }
  return policy;
}

// Caddy's rule for a log with both lists: no logger name in both, and each included name is
// a rule or an exception to one, i.e. within or above some excluded name ("a.b" and "a").
void checkIncludeExclude(const std::vector<std::string>& include, const std::vector<std::string>& exclude,
                         const std::string& path) {
  if (include.empty() || exclude.empty()) {
    return;
  }
  for (const auto& allow : include) {
    if (std::find(exclude.begin(), exclude.end(), allow) != exclude.end()) {
      throw ProvisionError(path,
                           "include and exclude must not intersect, but found " + allow + " in both lists");
    }
  }
  const auto nested = [](const std::string& a, const std::string& b) {
    const std::string da = a + ".", db = b + ".";
    return da.compare(0, db.size(), db) == 0 || db.compare(0, da.size(), da) == 0;
  };
  for (const auto& allow : include) {
    if (std::none_of(exclude.begin(), exclude.end(),
                     [&](const std::string& deny) { return nested(allow, deny); })) {
      throw ProvisionError(
          path,
          "when both include and exclude are populated, each element must be a superspace or "
          "subspace of one in the other list; check '" +
              allow + "' in include");
    }
  }
}

log::LogSink makeSink(const std::string& name, const Json& cfg, const std::string& path) {
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected a log object");
  }
  for (const auto& [key, _] : cfg.items()) {
    if (key != "writer" && key != "encoder" && key != "level" && key != "include" && key != "exclude" &&
        key != "sampling") {
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
  checkIncludeExclude(sink.include, sink.exclude, path);
  if (cfg.contains("sampling")) {
    sink.sampler = std::make_unique<log::Sampler>(samplingPolicy(cfg["sampling"], path + ".sampling"));
  }
  sink.writer = log::makeWriter(cfg.contains("writer") ? cfg["writer"] : Json(), path + ".writer");
  // Caddy's default encoder: console for a terminal, JSON otherwise.
  const bool console = sink.writer->standardStream() && sink.writer->terminal();
  sink.encoder =
      log::makeEncoder(cfg.contains("encoder") ? cfg["encoder"] : Json(), path + ".encoder", console);
  return sink;
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

// Any configured log: own messages then go through the service (the default log's
// settings, or a named log that includes their logger).
bool anyLogs(const Json& logging) {
  return logging.is_object() && logging.contains("logs") && !logging["logs"].empty();
}

}  // namespace

std::shared_ptr<log::LogService> provisionLogging(const config::Config& config) {
  auto sinks = makeSinks(config.logging);
  if (!anyServerLogs(config) && !anyLogs(config.logging)) {
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
