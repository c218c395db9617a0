// file_server's lookup: the request path joined to the rendered root (never above it), the
// index files of a directory, hidden names, and symlinks kept inside the root; then the
// redirect, listing or file that the path names.

#include <sys/stat.h>

#include <filesystem>

#include "gatehouse/runtime/error_traces.h"
#include "gatehouse/runtime/request_path_fs.h"
#include "handlers/file_paths.h"
#include "handlers/file_server.h"
#include "http/uri.h"

namespace gatehouse::handlers {

using runtime::Exchange;
using runtime::Outcome;

namespace {

// The root made absolute and normal, without a trailing '/' (unless it is "/").
std::optional<std::string> absoluteRoot(const std::string& rootDir) {
  std::error_code ec;
  std::string abs = std::filesystem::absolute(rootDir, ec).lexically_normal().string();
  if (ec) {
    return std::nullopt;
  }
  if (abs.size() > 1 && abs.back() == '/') {
    abs.pop_back();
  }
  return abs;
}

// The request path cleaned below "/", without a trailing '/': cleaning "/"+path can never
// climb above the root ("/../x" becomes "/x").
std::string cleanedRequestPath(const std::string& path) {
  std::string rel = http::cleanPath("/" + path);
  if (rel.size() > 1 && rel.back() == '/') {
    rel.pop_back();
  }
  return rel;
}

// The path as Caddy names it in errors: SanitizedPathJoin(root, path), the root as
// configured (relative stays relative), a trailing '/' of the request path kept.
std::string shownPath(const std::string& rootDir, const std::string& rel, const std::string& reqPath) {
  std::string shown = http::cleanPath(rootDir + (rel == "/" ? "" : rel));
  if (reqPath.size() > 1 && reqPath.back() == '/' && shown != "/") {
    shown.push_back('/');
  }
  return shown;
}

}  // namespace

Outcome FileServer::handle(Exchange& ex) const {
  const auto& req = ex.request;
  std::string rootDir = root.render(ex);
  if (rootDir.empty()) {
    rootDir = ".";
  }
  const auto absRoot = absoluteRoot(rootDir);
  if (!absRoot) {
    return ex.fail(500, {}, runtime::traces::kFileStatFailed);
  }
  const std::vector<std::string> hideList = renderHide(ex);
  const std::string rel = cleanedRequestPath(req.path);
  std::string filename = *absRoot == "/" ? rel : *absRoot + (rel == "/" ? "" : rel);
  struct stat st {};
  if (runtime::statRequestPath(filename, st) != 0) {
    // A NUL in the path ("%00") ends here as in Go: EINVAL, a 500.
    const int err = errno;
    if (err != ENOENT && err != EACCES && err != EPERM && underAFile(filename)) {
      return notFound(ex);  // "/file.html/%00": Caddy's 404, not the NUL's 500
    }
    return statError(ex, err, "stat " + shownPath(rootDir, rel, req.path) + ": " + runtime::goErrnoText(err));
  }
  // Caddy keeps the request's trailing '/' on the joined name, so "file.txt/" fails its
  // stat (ENOTDIR, mapped to not found) instead of reaching the file.
  if (!S_ISDIR(st.st_mode) && rel != "/" && req.path.ends_with('/')) {
    return notFound(ex);
  }
  return serveFound(ex, std::move(filename), st, *absRoot, hideList);
}

// What the path found: a directory's index file, its listing, or the file itself, each kept
// inside the root; not found for what is hidden.
Outcome FileServer::serveFound(Exchange& ex, std::string filename, struct stat st, const std::string& absRoot,
                               const std::vector<std::string>& hideList) const {
  const bool implicitIndex = S_ISDIR(st.st_mode) && findIndex(ex, filename, st, hideList);
  if (S_ISDIR(st.st_mode) && browse && !hidden(filename, hideList)) {
    return browseDirectory(ex, filename, absRoot, hideList);
  }
  if (S_ISDIR(st.st_mode) || hidden(filename, hideList)) {
    return notFound(ex);
  }
  // Symlinks may point anywhere; serve only what resolves inside the root.
  auto realRoot = realPath(absRoot);
  auto realFile = realPath(filename);
  if (!realRoot || !realFile || !within(*realFile, *realRoot)) {
    return notFound(ex);
  }
  if (auto to = canonicalTarget(ex, implicitIndex)) {
    return redirect(ex, std::move(*to));
  }
  return serveFile(ex, filename, *realFile, *realRoot);
}

// The hide list rendered for this request, names with a '/' made absolute.
std::vector<std::string> FileServer::renderHide(Exchange& ex) const {
  std::vector<std::string> hideList;
  std::error_code ec;
  for (const auto& h : hide) {
    std::string v = h.render(ex);
    if (v.find('/') != std::string::npos) {
      v = std::filesystem::absolute(v, ec).lexically_normal().string();
    }
    hideList.push_back(std::move(v));
  }
  return hideList;
}

// The first index file of the directory `filename` that exists and is not hidden: it
// replaces `filename` and `st`. False when there is none.
bool FileServer::findIndex(Exchange& ex, std::string& filename, struct stat& st,
                           const std::vector<std::string>& hideList) const {
  for (const auto& t : indexNames) {
    std::string idx = filename + "/" + t.render(ex);
    struct stat ist {};
    if (hidden(idx, hideList) || ::stat(idx.c_str(), &ist) != 0) {
      continue;
    }
    filename = std::move(idx);
    st = ist;
    return true;
  }
  return false;
}

// `message` is Go's error text, {http.error.message} and the error log's message.
Outcome FileServer::statError(Exchange& ex, int err, std::string message) const {
  if (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP) {
    return notFound(ex);
  }
  if (err == EACCES || err == EPERM) {
    return ex.fail(403, std::move(message), runtime::traces::kFileForbidden);
  }
  return ex.fail(500, std::move(message), runtime::traces::kFileStatFailed);
}

Outcome FileServer::notFound(Exchange& ex) const {
  return passThru ? Outcome::Continue : ex.fail(404, {}, runtime::traces::kFileNotFound);
}

}  // namespace gatehouse::handlers
