// file: the request maps to an existing file.
//
//     file [<files...>] {
//         root       <path>
//         try_files  <files...>
//         try_policy first_exist|smallest_size|largest_size|most_recently_modified
//         split_path <delims...>
//     }

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {
namespace {

// MatchFile's fields in Go's declaration order, each omitted while empty.
Json fileJson(const std::string& root, const Json& tryFiles, const std::string& tryPolicy,
              const Json& splitPath) {
  Json out = Json::object();
  if (!root.empty()) {
    out["root"] = root;
  }
  if (tryFiles.is_array() && !tryFiles.empty()) {
    out["try_files"] = tryFiles;
  }
  if (!tryPolicy.empty()) {
    out["try_policy"] = tryPolicy;
  }
  if (splitPath.is_array() && !splitPath.empty()) {
    out["split_path"] = splitPath;
  }
  return out;
}

}  // namespace

void parseFileMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  const bool had = value.is_object();
  std::string root = had ? value.value("root", std::string()) : std::string();
  Json tryFiles = had && value.contains("try_files") ? value["try_files"] : Json::array();
  std::string tryPolicy = had ? value.value("try_policy", std::string()) : std::string();
  Json splitPath = had && value.contains("split_path") ? value["split_path"] : Json::array();

  while (d.next()) {
    appendStrings(tryFiles, d.remainingArgs());
    while (d.nextBlock(0)) {
      const std::string sub = d.val();
      if (sub == "root") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        root = d.val();
      } else if (sub == "try_files") {
        appendStrings(tryFiles, d.remainingArgs());
        if (tryFiles.empty()) {
          throw d.argErr();
        }
      } else if (sub == "try_policy") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        tryPolicy = d.val();
      } else if (sub == "split_path") {
        splitPath = Json::array();  // replaces, unlike try_files
        appendStrings(splitPath, d.remainingArgs());
        if (splitPath.empty()) {
          throw d.argErr();
        }
      } else {
        throw d.err("unrecognized subdirective: " + sub);
      }
    }
  }
  value = fileJson(root, tryFiles, tryPolicy, splitPath);
}

}  // namespace gatehouse::parser::matchers
