#include "handlers/file_paths.h"

#include <sys/stat.h>

#include <array>
#include <climits>
#include <cstdlib>
#include <string_view>

#include "router/matchers.h"

namespace gatehouse::handlers {

std::optional<std::string> realPath(const std::string& p) {
  std::array<char, PATH_MAX> buf{};
  if (::realpath(p.c_str(), buf.data()) == nullptr) {
    return std::nullopt;
  }
  return std::string(buf.data());
}

bool within(const std::string& path, const std::string& root) {
  if (root == "/") {
    return true;
  }
  return path == root || (path.starts_with(root) && path[root.size()] == '/');
}

bool hidden(const std::string& filename, const std::vector<std::string>& hide) {
  for (const auto& h : hide) {
    if (h.find('/') == std::string::npos) {
      std::string_view rest = filename;
      while (!rest.empty()) {
        size_t slash = rest.find('/');
        if (router::globMatch(h, rest.substr(0, slash))) {
          return true;
        }
        if (slash == std::string_view::npos) {
          break;
        }
        rest.remove_prefix(slash + 1);
      }
    } else if (filename.starts_with(h) && filename.size() > h.size() && filename[h.size()] == '/') {
      return true;
    }
    if (router::globMatch(h, filename)) {
      return true;
    }
  }
  return false;
}

bool underAFile(const std::string& filename) {
  for (size_t slash = filename.find('/', 1); slash != std::string::npos;
       slash = filename.find('/', slash + 1)) {
    const std::string prefix = filename.substr(0, slash);
    struct stat st {};
    if (prefix.find('\0') != std::string::npos || ::stat(prefix.c_str(), &st) != 0) {
      return false;  // Go's walk stops at the first component it cannot stat
    }
    if (!S_ISDIR(st.st_mode)) {
      return true;
    }
  }
  return false;
}

}  // namespace gatehouse::handlers
