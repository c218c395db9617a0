#pragma once
// Filesystem calls on paths a request chose. Such a path may hold a NUL ("%00" decodes to
// one, and Go keeps it in URL.Path); the C library would read it only up to the NUL, so
// "/a.txt\0.php" would name "/a.txt". Go's syscalls refuse such a path with EINVAL, and so
// do these: every stat or glob of a request-derived path goes through them.

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace gatehouse::runtime {

inline bool holdsNul(std::string_view path) {
  return path.find('\0') != std::string_view::npos;
}

// ::stat(), but EINVAL for a path holding a NUL.
inline int statRequestPath(const std::string& path, struct stat& st) {
  if (holdsNul(path)) {
    errno = EINVAL;
    return -1;
  }
  return ::stat(path.c_str(), &st);
}

// Go's text for an errno ("invalid argument", "permission denied"): the C library's,
// first letter in lower case.
inline std::string goErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

}  // namespace gatehouse::runtime
