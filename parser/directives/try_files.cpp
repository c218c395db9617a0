// The try_files directive: a file matcher plus a rewrite to the file it found.
#include "directives/handler_directives.h"

namespace gatehouse::parser {
namespace {

bool knownPolicy(const std::string& p) {
  return p == "first_exist" || p == "first_exist_fallback" || p == "largest_size" || p == "smallest_size" ||
         p == "most_recently_modified";
}

// The route that tries `files` and rewrites to the one that exists, with `query` appended.
std::vector<ConfigValue> tryRoute(const Helper& h, const std::vector<std::string>& files,
                                  const std::string& policy, const std::string& query) {
  Json file = Json::object();
  file["try_files"] = files;
  if (!policy.empty()) {
    file["try_policy"] = policy;
  }
  config::Handler rewrite{
      "rewrite", Json{{"uri", "{http.matchers.file.relative}" + query}}, {}, std::nullopt};
  return h.newRoute(Json{{"file", file}}, std::move(rewrite));
}

}  // namespace

// try_files <files...> {
//     policy first_exist|first_exist_fallback|smallest_size|largest_size|most_recently_modified
// }
//
// Short for a `file` matcher with these files and `rewrite` to {http.matchers.file.relative}.
// A file with a query string ("index.php?{query}") gets a route of its own, so that its
// query replaces the request's when it matches; the routes are grouped so only one applies.
std::vector<ConfigValue> parseTryFiles(Helper& h) {
  if (!h.next()) {
    throw h.argErr();
  }
  std::vector<std::string> files = h.remainingArgs();
  if (files.empty()) {
    throw h.argErr();
  }
  std::string policy;
  while (h.nextBlock(0)) {
    if (h.val() != "policy") {
      continue;
    }
    if (!policy.empty()) {
      throw h.err("try policy already configured");
    }
    if (!h.nextArg()) {
      throw h.argErr();
    }
    policy = h.val();
    if (!knownPolicy(policy)) {
      throw h.err("unrecognized try policy: " + policy);
    }
  }

  std::vector<ConfigValue> result;
  std::vector<std::string> pending;
  auto flush = [&](const std::vector<std::string>& try_, const std::string& query) {
    auto route = tryRoute(h, try_, policy, query);
    result.insert(result.end(), route.begin(), route.end());
  };
  for (const auto& item : files) {
    size_t q = item.find('?');
    if (q == std::string::npos) {
      pending.push_back(item);
      continue;
    }
    if (!pending.empty()) {
      flush(pending, "");
      pending.clear();
    }
    flush({item.substr(0, q)}, item.substr(q));
  }
  if (!pending.empty()) {
    flush(pending, "");
  }
  h.groupRoutes(result);
  return result;
}

}  // namespace gatehouse::parser
