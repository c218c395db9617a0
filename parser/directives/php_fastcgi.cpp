// The php_fastcgi directive: reverse_proxy with a FastCGI transport, preceded by the
// routes most PHP apps need (a canonical-path redirect for directories and a try_files
// rewrite to the index), as Caddy's parsePHPFastCGI expands it.

#include <algorithm>

#include "directives/reverse_proxy.h"
#include "httptype/routes.h"

namespace gatehouse::parser::proxy {
namespace {

struct PhpOptions {
  Json transport = Json::object();
  std::vector<std::string> extensions{".php"};
  std::string indexFile = "index.php";
  std::vector<std::string> tryFiles;
};

// Removes the n tokens ending at the cursor (Caddy's DeleteN).
void deleteN(Dispenser& d, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    d.deleteToken();
  }
}

// Takes php_fastcgi's own subdirectives out of the token stream, leaving the rest for
// the reverse_proxy parser. Nested blocks (e.g. a transport's) are left alone.
void extractPhpOptions(Dispenser& d, PhpOptions& o) {
  while (d.next()) {
    for (int n = 0; d.nextBlock(n);) {
      if (d.nesting() != 1) {
        continue;
      }
      const std::string sub = d.val();
      if (sub == "root") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        setOrOmit(o.transport, "root", d.val());
        deleteN(d, 2);
      } else if (sub == "split") {
        o.extensions = d.remainingArgs();
        deleteN(d, o.extensions.size() + 1);
        if (o.extensions.empty()) {
          throw d.argErr();
        }
      } else if (sub == "env") {
        auto args = d.remainingArgs();
        deleteN(d, args.size() + 1);
        if (args.size() != 2) {
          throw d.argErr();
        }
        child(o.transport, "env")[args[0]] = args[1];
      } else if (sub == "index") {
        auto args = d.remainingArgs();
        deleteN(d, args.size() + 1);
        if (args.size() != 1) {
          throw d.argErr();
        }
        o.indexFile = args[0];
      } else if (sub == "try_files") {
        auto args = d.remainingArgs();
        deleteN(d, args.size() + 1);
        if (args.empty()) {
          throw d.argErr();
        }
        o.tryFiles = args;
      } else if (sub == "resolve_root_symlink" || sub == "capture_stderr") {
        auto args = d.remainingArgs();
        deleteN(d, args.size() + 1);
        o.transport[sub] = true;
      } else if (sub == "dial_timeout" || sub == "read_timeout" || sub == "write_timeout") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        setOrOmit(o.transport, sub, durationOrThrow(d, d.val(), "bad timeout value " + d.val() + ": "));
        deleteN(d, 2);
      }
    }
  }
}

config::Handler handler(const std::string& name, Json fields) {
  config::Handler h;
  h.name = name;
  h.fields = std::move(fields);
  return h;
}

// The redirect and rewrite routes in front of the proxy (none with `index off`).
std::vector<config::Route> indexRoutes(PhpOptions& o) {
  std::vector<config::Route> routes;
  if (o.indexFile == "off") {
    return routes;
  }
  const std::string dirIndex = "{http.request.uri.path}/" + o.indexFile;
  std::string tryPolicy = "first_exist_fallback";
  bool dirRedirect = false;
  if (o.tryFiles.empty()) {
    o.tryFiles = {"{http.request.uri.path}", dirIndex, o.indexFile};
    dirRedirect = true;
  } else {
    const std::string& last = o.tryFiles.back();
    // without a PHP file to fall back on, the first existing file wins
    if (last.size() < 4 || last.compare(last.size() - 4, 4, ".php") != 0) {
      tryPolicy.clear();
    }
    dirRedirect = std::find(o.tryFiles.begin(), o.tryFiles.end(), dirIndex) != o.tryFiles.end();
  }
  if (dirRedirect) {
    config::Route redirect;
    redirect.match.push_back(Json{{"file", Json{{"try_files", Json::array({dirIndex})}}},
                                  {"not", Json::array({Json{{"path", Json::array({"*/"})}}})}});
    redirect.handle.push_back(handler(
        "static_response",
        Json{{"headers",
              Json{{"Location",
                    Json::array({"{http.request.orig_uri.path}/{http.request.orig_uri.prefixed_query}"})}}},
             {"status_code", 308}}));
    routes.push_back(std::move(redirect));
  }
  Json file = Json::object();
  file["try_files"] = o.tryFiles;
  setOrOmit(file, "try_policy", tryPolicy);
  file["split_path"] = o.extensions;
  config::Route rewrite;
  rewrite.match.push_back(Json{{"file", file}});
  rewrite.handle.push_back(handler("rewrite", Json{{"uri", "{http.matchers.file.relative}"}}));
  routes.push_back(std::move(rewrite));
  return routes;
}

}  // namespace

// php_fastcgi [<matcher>] <php_fpm_gateways...> {
//     root <path>
//     split <substrings...>
//     env <key> <value>
//     index <filename>|off
//     try_files <files...>
//     resolve_root_symlink
//     capture_stderr
//     dial_timeout <duration>
//     read_timeout <duration>
//     write_timeout <duration>
//     <any other reverse_proxy subdirective...>
// }
std::vector<ConfigValue> parsePhpFastcgi(Helper& h) {
  if (!h.next()) {
    throw h.argErr();
  }
  std::optional<config::MatcherSet> userMatcher = h.extractMatcherSet();

  // A copy of the segment, so the reverse_proxy parser can read what is left of it. Taken
  // as Caddy's NextSegment does: a '}' with more tokens on its line does not close the
  // block, so those tokens land inside it ("} 5x" is refused as a subdirective 5x).
  h.next();  // the name again: extracting the matcher resets the cursor
  Dispenser d(h.nextSegment());
  PhpOptions o;
  extractPhpOptions(d, o);
  d.reset();
  o.transport["split_path"] = o.extensions;

  std::vector<config::Route> routes = indexRoutes(o);

  // only requests for PHP files go to the FastCGI responder
  Json paths = Json::array();
  for (const auto& ext : o.extensions) {
    paths.push_back("*" + ext);
  }
  ProxyHandler rp;
  Json transport = o.transport;
  transport["protocol"] = "fastcgi";
  rp.fields["transport"] = transport;
  unmarshalReverseProxy(d, rp);
  finalizeReverseProxy(h, rp);
  config::Route proxy;
  proxy.match.push_back(Json{{"path", paths}});
  proxy.handle.push_back(rp.toHandler());
  routes.push_back(std::move(proxy));

  // The user's matcher is a precondition for all of these routes: wrap them in a subroute.
  if (userMatcher && !userMatcher->is_null()) {
    config::Route wrapper;
    wrapper.match.push_back(*userMatcher);
    wrapper.handle.push_back(config::Handler::subroute(std::move(routes)));
    return single(ConfigValue{"route", std::move(wrapper), ""});
  }
  // Otherwise Caddy returns the routes as a literal subroute that the site splices in
  // place: they stay together, and another php_fastcgi's matched route is never sorted
  // into their midst by its path.
  return single(literalSubroute(std::move(routes)));
}

}  // namespace gatehouse::parser::proxy
