// `caddy file-server`'s config: a templates handler (--templates) and a file_server (--root,
// --browse) in one route, host-matched for --domain, on one server named "static".

#include "commands/quick_config.h"
#include "gatehouse/parser/command_configs.h"

namespace gatehouse::parser {

namespace {

using config::Json;

Json handlers(const FileServerCommand& cmd) {
  Json list = Json::array();
  if (cmd.templates) {
    Json templates = {{"handler", "templates"}};
    if (!cmd.root.empty()) {
      templates["file_root"] = cmd.root;
    }
    list.push_back(templates);
  }
  Json files = {{"handler", "file_server"}};
  if (!cmd.root.empty()) {
    files["root"] = cmd.root;
  }
  if (cmd.browse) {
    files["browse"] = Json::object();
  }
  list.push_back(files);
  return list;
}

}  // namespace

Json fileServerCommandConfig(const FileServerCommand& cmd, std::string& listenText) {
  listenText = cmd.listen.empty() ? (cmd.domain.empty() ? ":80" : ":443") : cmd.listen;
  Json route = Json::object();  // caddy's field order: match, then handle
  if (!cmd.domain.empty()) {
    route["match"] = Json::array({{{"host", {cmd.domain}}}});
  }
  route["handle"] = handlers(cmd);
  Json server = quickServer(listenText);
  server["routes"] = Json::array({route});
  if (cmd.accessLog) {
    server["logs"] = Json::object();
  }
  return quickConfig({{"static", server}}, cmd.debug);
}

}  // namespace gatehouse::parser
