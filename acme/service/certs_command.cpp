// gatehouse certs: certificate service mode (see service/cert_service.h).

#include <csignal>
#include <iostream>

#include "cli/command.h"
#include "gatehouse/parser/config_error.h"
#include "log/acme_log.h"
#include "service/cert_service.h"
#include "service/service_config.h"

namespace gatehouse::cli {

int runCerts(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config"}, {"daemon"}, flags, "certs"))
    return 2;
  const std::string path = flags.get("config", "Caddyfile");
  acme::ServiceConfig config;
  try {
    config = acme::parseServiceConfig(readFileOrStdin(path), path);
  } catch (const parser::ConfigError& e) {
    std::cerr << "Error: " << (e.hasLocation() ? e.location().str() + ": " : "") << e.message() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
  // A deploy hook or CA that resets a connection must cost an EPIPE, not the process.
  signal(SIGPIPE, SIG_IGN);
  const acme::AcmeLog log(std::cerr);
  acme::CertService service(std::move(config), log);
  return flags.has("daemon") ? service.runDaemon() : service.runOnce();
}

}  // namespace gatehouse::cli
