// gatehouse file-server: caddy's one-line static file server (`caddy file-server --root
// ./site --listen :8080 --browse`), the same config built from the same flags, served until
// stopped.

#include <iostream>

#include "cli/bool_flag.h"
#include "cli/command.h"
#include "cli/serve_loaded.h"
#include "gatehouse/parser/command_configs.h"
#include "server/server_group.h"

namespace gatehouse::cli {

int runFileServer(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"domain", "root", "listen", "workers"},
                  {"browse", "templates", "access-log", "debug"}, flags, "file-server")) {
    return 1;
  }
  parser::FileServerCommand cmd;
  cmd.domain = flags.get("domain");
  cmd.root = flags.get("root");
  cmd.listen = flags.get("listen");
  cmd.browse = boolFlag(flags, "browse");
  cmd.templates = boolFlag(flags, "templates");
  cmd.accessLog = boolFlag(flags, "access-log");
  cmd.debug = boolFlag(flags, "debug");
  LoadedConfig loaded;
  std::string listen;
  if (!loadBuiltConfig([&] { return parser::fileServerCommandConfig(cmd, listen); }, loaded)) {
    return 1;
  }
  server::RunOptions options;
  if (!workerCount(flags.get("workers"), options.workers)) {
    return 1;
  }
  // caddy logs this once its servers run
  options.onServing = [listen](const config::Json&, std::string&) {
    server::logLine({{"msg", "Gatehouse serving static files on " + listen}});
    return true;
  };
  return serveLoaded(loaded, "file-server", options);
}

}  // namespace gatehouse::cli
