// The file_server directive: serves static files (Caddy's file_server handler).
#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "options/option_util.h"

namespace gatehouse::parser {
namespace {

// Caddy's FileServer fields, kept in its JSON order by toJson().
struct FileServer {
  std::string fs;
  std::string root;
  std::vector<std::string> hide;
  std::vector<std::string> indexNames;
  Json browse;  // null, or {"template_file", "reveal_symlinks", "sort", "file_limit"}
  bool noCanonicalUris = false;
  std::string status;
  bool passThru = false;
  std::vector<std::string> precompressed;
  std::vector<std::string> etagFileExtensions;

  [[nodiscard]] Json toJson() const;
};

Json FileServer::toJson() const {
  Json out = Json::object();
  if (!fs.empty())
    out["fs"] = fs;
  if (!root.empty())
    out["root"] = root;
  if (!hide.empty())
    out["hide"] = hide;
  if (!indexNames.empty())
    out["index_names"] = indexNames;
  if (!browse.is_null())
    out["browse"] = browse;
  if (noCanonicalUris)
    out["canonical_uris"] = false;
  if (!status.empty())
    out["status_code"] = handler_util::weakString(status);
  if (passThru)
    out["pass_thru"] = true;
  if (!precompressed.empty()) {
    std::map<std::string, Json> mods;
    for (const auto& p : precompressed) {
      mods[p] = Json::object();
    }
    out["precompressed"] = handler_util::sortedObject(mods);
    out["precompressed_order"] = precompressed;
  }
  if (!etagFileExtensions.empty())
    out["etag_file_extensions"] = etagFileExtensions;
  return out;
}

// Go's path/filepath.Clean for slash-separated paths.
std::string cleanPath(const std::string& p) {
  if (p.empty()) {
    return ".";
  }
  bool rooted = p.front() == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos)
      j = p.size();
    std::string part = p.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    out += (k > 0 ? "/" : "") + parts[k];
  }
  return out.empty() ? "." : out;
}

bool globMatch(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0;
}

// Caddy's fileHidden: whether `filename` (made absolute) is covered by the hide list.
bool fileHidden(std::string filename, const std::vector<std::string>& hide) {
  if (hide.empty()) {
    return false;
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(filename, ec);
  if (!ec) {
    filename = cleanPath(abs.string());
  }
  for (const auto& h : hide) {
    if (h.find('/') == std::string::npos) {
      size_t i = 0;
      while (i <= filename.size()) {
        size_t j = filename.find('/', i);
        if (j == std::string::npos)
          j = filename.size();
        if (globMatch(h, filename.substr(i, j - i))) {
          return true;
        }
        i = j + 1;
      }
    } else if (filename.starts_with(h) && filename.substr(h.size()).starts_with('/')) {
      return true;
    }
    if (globMatch(h, filename)) {
      return true;
    }
  }
  return false;
}

// Hides the Caddyfile and its imports, each with a path separator so that only that file
// (not every file of that name) is hidden.
void hideCaddyfiles(const Helper& h, FileServer& fsrv) {
  for (std::string file : h.caddyfiles()) {
    file = cleanPath(file);
    if (fileHidden(file, fsrv.hide)) {
      continue;
    }
    if (file.find('/') == std::string::npos) {
      file = "./" + file;
    }
    fsrv.hide.push_back(file);
  }
}

// browse [<template_file>] {
//     reveal_symlinks
//     sort <options...>
//     file_limit <n>
// }
void parseBrowse(Helper& h, FileServer& fsrv) {
  if (!fsrv.browse.is_null()) {
    throw h.err("browsing is already configured");
  }
  fsrv.browse = Json::object();
  std::string tpl;
  if (handler_util::args(h, tpl) && !tpl.empty()) {
    fsrv.browse["template_file"] = tpl;
  }
  static const std::vector<std::string> kSort = {"name", "namedirfirst", "size", "time", "asc", "desc"};
  for (int nesting = h.nesting(); h.nextBlock(nesting);) {
    if (h.val() == "reveal_symlinks") {
      if (fsrv.browse.contains("reveal_symlinks")) {
        throw h.err("Symlinks path reveal is already enabled");
      }
      fsrv.browse["reveal_symlinks"] = true;
    } else if (h.val() == "sort") {
      while (h.nextArg()) {
        if (std::find(kSort.begin(), kSort.end(), h.val()) == kSort.end()) {
          throw h.err("unknown sort option '" + h.val() + "'");
        }
        fsrv.browse["sort"].push_back(h.val());
      }
    } else if (h.val() == "file_limit") {
      std::vector<std::string> limit = h.remainingArgs();
      if (limit.size() != 1) {
        throw h.err("file_limit should have an integer value");
      }
      long long n = options::parseInt(limit[0]).value_or(0);
      if (fsrv.browse.contains("file_limit")) {
        throw h.err("file_limit is already enabled");
      }
      if (n != 0) {
        fsrv.browse["file_limit"] = n;
      }
    } else {
      throw h.err("unknown subdirective '" + h.val() + "'");
    }
  }
}

void parsePrecompressed(Helper& h, FileServer& fsrv) {
  fsrv.precompressed = h.remainingArgs();
  if (fsrv.precompressed.empty()) {
    fsrv.precompressed = {"br", "zstd", "gzip"};
  }
  for (const auto& format : fsrv.precompressed) {
    if (format != "br" && format != "zstd" && format != "gzip") {
      const std::string id = "http.precompressed." + format;
      throw h.err("getting module named '" + id + "': " + handler_util::moduleNotRegistered(id));
    }
  }
}

// A list subdirective that needs at least one argument.
std::vector<std::string> listArgs(Helper& h) {
  std::vector<std::string> list = h.remainingArgs();
  if (list.empty()) {
    throw h.argErr();
  }
  return list;
}

void noArgs(Helper& h) {
  if (h.nextArg()) {
    throw h.argErr();
  }
}

void parseSubdirective(Helper& h, FileServer& fsrv) {
  const std::string sub = h.val();
  if (sub == "fs") {
    if (!h.nextArg())
      throw h.argErr();
    if (!fsrv.fs.empty())
      throw h.err("file system already specified");
    fsrv.fs = h.val();
  } else if (sub == "hide") {
    // Each `hide` line replaces the list (Caddy assigns RemainingArgs): of `hide .git` then
    // `hide .env*` only the second hides anything.
    fsrv.hide = listArgs(h);
  } else if (sub == "index") {
    fsrv.indexNames = listArgs(h);
  } else if (sub == "root") {
    if (!handler_util::args(h, fsrv.root))
      throw h.argErr();
  } else if (sub == "browse") {
    parseBrowse(h, fsrv);
  } else if (sub == "precompressed") {
    parsePrecompressed(h, fsrv);
  } else if (sub == "status") {
    if (!h.nextArg())
      throw h.argErr();
    fsrv.status = h.val();
  } else if (sub == "disable_canonical_uris") {
    noArgs(h);
    fsrv.noCanonicalUris = true;
  } else if (sub == "pass_thru") {
    noArgs(h);
    fsrv.passThru = true;
  } else if (sub == "etag_file_extensions") {
    fsrv.etagFileExtensions = listArgs(h);
  } else {
    throw h.err("unknown subdirective '" + sub + "'");
  }
}

}  // namespace

// file_server [<matcher>] [browse] {
//     fs            <filesystem>
//     root          <path>
//     hide          <files...>
//     index         <files...>
//     browse        [<template_file>] {
//         reveal_symlinks
//         sort  <name|namedirfirst|size|time|asc|desc...>
//         file_limit <n>
//     }
//     precompressed [<formats...>]
//     status        <status>
//     disable_canonical_uris
//     pass_thru
//     etag_file_extensions <extensions...>
// }
config::Handler parseFileServer(Helper& h) {
  h.next();  // the directive name
  FileServer fsrv;
  std::vector<std::string> args = h.remainingArgs();
  if (args.size() > 1 || (args.size() == 1 && args[0] != "browse")) {
    throw h.argErr();
  }
  if (args.size() == 1) {
    fsrv.browse = Json::object();
  }
  for (int nesting = h.nesting(); h.nextBlock(nesting);) {
    parseSubdirective(h, fsrv);
  }
  hideCaddyfiles(h, fsrv);
  return config::Handler{"file_server", fsrv.toJson(), {}, std::nullopt};
}

}  // namespace gatehouse::parser
