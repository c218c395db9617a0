// The push directive: HTTP/2 server push (Caddy's push handler).
#include <optional>

#include "directives/handler_directives.h"
#include "directives/header_ops.h"

namespace gatehouse::parser {
namespace {

Json resource(const std::string& method, const std::string& target) {
  Json r = Json::object();
  if (!method.empty()) {
    r["method"] = method;
  }
  r["target"] = target;
  return r;
}

// headers {
//     [+]<field> [<value|regexp> [<replacement>]]
//     -<field>
// }
void parseHeaders(Helper& h, std::optional<handler_util::HeaderOps>& ops) {
  if (h.nextArg()) {
    throw h.argErr();
  }
  for (int nesting = h.nesting(); h.nextBlock(nesting);) {
    std::vector<std::string> args{h.val()};
    for (auto& a : h.remainingArgs()) {
      args.push_back(a);
    }
    if (args.size() > 3) {
      throw h.argErr();
    }
    if (!ops) {
      ops.emplace();
    }
    std::optional<std::string> replacement;
    if (args.size() == 3) {
      replacement = args[2];
    }
    std::string error =
        handler_util::applyHeaderOp(*ops, nullptr, args[0], args.size() > 1 ? args[1] : "", replacement);
    if (!error.empty()) {
      throw h.err(error);
    }
  }
}

}  // namespace

// push [<matcher>] [<resource>] {
//     [GET|HEAD] <resource>
//     headers {
//         [+]<field> [<value|regexp> [<replacement>]]
//         -<field>
//     }
// }
config::Handler parsePush(Helper& h) {
  h.next();  // the directive name
  Json resources = Json::array();
  std::optional<handler_util::HeaderOps> headers;
  if (h.nextArg()) {
    resources.push_back(resource("", h.val()));
  }
  while (h.nextBlock(0)) {
    if (h.val() == "headers") {
      parseHeaders(h, headers);
    } else if (h.val() == "GET" || h.val() == "HEAD") {
      std::string method = h.val();
      if (!h.nextArg()) {
        throw h.argErr();
      }
      resources.push_back(resource(method, h.val()));
    } else {
      resources.push_back(resource("", h.val()));
    }
  }
  Json fields = Json::object();
  if (!resources.empty()) {
    fields["resources"] = resources;
  }
  if (headers) {
    fields["headers"] = headers->toJson();
  }
  return config::Handler{"push", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
