// The uri directive: manipulates parts of the request URI (Caddy's rewrite handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "options/option_util.h"

namespace gatehouse::parser {
namespace {

// Caddy's queryOps, in its field order.
struct QueryOps {
  Json rename = Json::array();
  Json set = Json::array();
  Json add = Json::array();
  Json replace = Json::array();
  Json del = Json::array();

  [[nodiscard]] Json toJson() const {
    Json out = Json::object();
    for (const auto& [name, list] :
         {std::pair{"rename", &rename}, std::pair{"set", &set}, std::pair{"add", &add},
          std::pair{"replace", &replace}, std::pair{"delete", &del}}) {
      if (!list->empty()) {
        out[name] = *list;
      }
    }
    return out;
  }
};

Json keyVal(const std::string& key, const std::string& val) {
  Json out = Json::object();
  if (!key.empty()) {
    out["key"] = key;
  }
  if (!val.empty()) {
    out["val"] = val;
  }
  return out;
}

std::string trimLeftChar(const std::string& s, char c) {
  size_t i = s.find_first_not_of(c);
  return i == std::string::npos ? "" : s.substr(i);
}

// One query operation: -key, +key value, old>new, key search replace, or key value.
void applyQueryOp(Helper& h, QueryOps& q, const std::vector<std::string>& args) {
  const std::string& key = args[0];
  if (key.starts_with('-')) {
    if (args.size() != 1) {
      throw h.argErr();
    }
    q.del.push_back(trimLeftChar(key, '-'));
  } else if (key.starts_with('+')) {
    if (args.size() != 2) {
      throw h.argErr();
    }
    q.add.push_back(keyVal(trimLeftChar(key, '+'), args[1]));
  } else if (key.find('>') != std::string::npos) {
    if (args.size() != 1) {
      throw h.argErr();
    }
    size_t gt = key.find('>');
    std::string to = key.substr(gt + 1);
    to = to.substr(0, to.find('>'));
    q.rename.push_back(keyVal(key.substr(0, gt), to));
  } else if (args.size() == 3) {
    Json rep = Json::object();
    rep["key"] = key;
    if (!args[1].empty()) {
      rep["search_regexp"] = args[1];
    }
    if (!args[2].empty()) {
      rep["replace"] = args[2];
    }
    q.replace.push_back(rep);
  } else {
    if (args.size() != 2) {
      throw h.argErr();
    }
    q.set.push_back(keyVal(key, args[1]));
  }
}

Json parseQuery(Helper& h, const std::vector<std::string>& args) {
  if (args.size() > 4) {
    throw h.argErr();
  }
  QueryOps q;
  bool hasArgs = args.size() > 1;
  if (hasArgs) {
    applyQueryOp(h, q, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  while (h.nextBlock(0)) {
    if (hasArgs) {
      throw h.err("Cannot specify uri query rewrites in both argument and block");
    }
    std::vector<std::string> line{h.val()};
    for (auto& a : h.remainingArgs()) {
      line.push_back(a);
    }
    applyQueryOp(h, q, line);
  }
  return q.toJson();
}

Json parseReplace(Helper& h, const std::vector<std::string>& args) {
  if (args.size() != 3 && args.size() != 4) {
    throw h.argErr();
  }
  long long limit = 0;
  if (args.size() == 4 && !args[3].empty()) {
    auto n = options::parseInt(args[3]);
    if (!n) {
      throw h.err("limit must be an integer; invalid: strconv.Atoi: parsing \"" + args[3] +
                  "\": invalid syntax");
    }
    limit = *n;
  }
  Json rep = Json::object();
  if (!args[1].empty()) {
    rep["find"] = args[1];
  }
  if (!args[2].empty()) {
    rep["replace"] = args[2];
  }
  if (limit != 0) {
    rep["limit"] = limit;
  }
  return Json::array({rep});
}

Json pathRegexp(Helper& h, const std::vector<std::string>& args) {
  if (args.size() != 3) {
    throw h.argErr();
  }
  Json rep = Json::object();
  if (!args[1].empty()) {
    rep["find"] = args[1];
  }
  if (!args[2].empty()) {
    rep["replace"] = args[2];
  }
  return Json::array({rep});
}

}  // namespace

// uri [<matcher>] strip_prefix|strip_suffix|replace|path_regexp|query <args...>
//
//     uri strip_prefix <prefix>
//     uri strip_suffix <suffix>
//     uri replace <find> <replace> [<limit>]
//     uri path_regexp <regexp> <replace>
//     uri query [-|+]<key> [<value> [<replacement>]] | <old>><new>
//     uri query {
//         <query operations...>
//     }
config::Handler parseUri(Helper& h) {
  h.next();  // the directive name
  std::vector<std::string> args = h.remainingArgs();
  if (args.empty()) {
    throw h.argErr();
  }
  Json fields = Json::object();
  const std::string& op = args[0];
  if (op == "strip_prefix" || op == "strip_suffix") {
    if (args.size() != 2) {
      throw h.argErr();
    }
    if (op == "strip_prefix") {
      // As Caddy: the prefix is a path, so one without its leading slash (even "") gets it.
      fields["strip_path_prefix"] = args[1].starts_with('/') ? args[1] : "/" + args[1];
    } else if (!args[1].empty()) {
      fields["strip_path_suffix"] = args[1];
    }
  } else if (op == "replace") {
    fields["uri_substring"] = parseReplace(h, args);
  } else if (op == "path_regexp") {
    fields["path_regexp"] = pathRegexp(h, args);
  } else if (op == "query") {
    fields["query"] = parseQuery(h, args);
  } else {
    throw h.err("unrecognized URI manipulation '" + op + "'");
  }
  if (op != "query") {
    handler_util::refuseBlock(h);  // only newer Caddy's `uri query` takes a block
  }
  return config::Handler{"rewrite", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
