// Access-log mapping of a server: which logger each host's requests go to, and which
// hosts are not logged at all.

#include "httptype/net_addr.h"
#include "httptype/servers.h"

namespace gatehouse::parser {
namespace {

bool hasCatchAllKey(const SiteBlock& sb) {
  for (const auto& a : sb.keys) {
    if (a.host.empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace

void addSiteLogs(const SiteBlock& sb, const std::vector<std::string>& hosts, Json& logs,
                 LoggerNames& loggerNames) {
  auto mapHost = [&loggerNames](const std::string& host, const std::string& logger) {
    loggerNames[host].push_back(logger);
  };
  const std::vector<std::string> logHosts = sb.hostsFromKeys(true);
  auto it = sb.pile.find("custom_log");
  const bool hasLogs = it != sb.pile.end() && !it->second.empty();
  if (hasLogs) {
    for (const auto& v : it->second) {
      if (v.isRoute()) {
        continue;
      }
      const Json& ncl = v.json();
      // a no_hostname logger is reachable only by name (log_name, access_logger_names)
      if (ncl.value("no_hostname", false)) {
        continue;
      }
      const std::string name = ncl.value("name", "");
      const Json hostnames = ncl.value("hostnames", Json::array());
      if (hasCatchAllKey(sb) && hostnames.empty()) {
        // the last log of the block wins: a plain `log` after a named one sets the name back
        // to empty, which Go's omitempty leaves out (seed 1834 case 27)
        if (!name.empty()) {
          logs["default_logger_name"] = name;
        } else {
          logs.erase("default_logger_name");
        }
      } else if (!hostnames.empty()) {
        for (const auto& h : hostnames) {
          mapHost(h.get<std::string>(), name);
        }
      } else {
        for (const auto& h : logHosts) {
          std::string host;
          std::string port;
          mapHost(splitHostPort(h, host, port) ? host : h, name);
        }
      }
    }
    return;
  }
  // the server logs, but this site does not: keep its hosts out of the access log
  if (hosts.empty()) {
    logs["skip_unmapped_hosts"] = true;
  }
  for (const auto& h : logHosts) {
    logs["skip_hosts"].push_back(h);
  }
}

void putLoggerNames(const LoggerNames& loggerNames, Json& logs) {
  if (loggerNames.empty()) {
    return;
  }
  // std::map iterates in byte order, as Go prints a map's keys.
  Json& names = logs["logger_names"] = Json::object();
  // The keys are unique and already sorted, so append to the ordered map's vector directly:
  // operator[] would search it linearly for every host, quadratic over thousands of sites.
  auto& entries = static_cast<Json::object_t::Container&>(names.get_ref<Json::object_t&>());
  entries.reserve(loggerNames.size());
  for (const auto& [host, loggers] : loggerNames) {
    entries.emplace_back(host, loggers);
  }
}

}  // namespace gatehouse::parser
