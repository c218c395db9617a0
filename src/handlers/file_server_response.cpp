// file_server's answer for a found file: opened, other methods refused, the precompressed
// sidecar the client accepts picked, then ETag and Content-Type set before ServeContent.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "gatehouse/runtime/error_traces.h"
#include "gatehouse/runtime/request_path_fs.h"
#include "handlers/encode.h"
#include "handlers/file_paths.h"
#include "handlers/file_server.h"
#include "http/content_type.h"
#include "http/exchange_notes.h"

namespace gatehouse::handlers {

using runtime::Exchange;
using runtime::Outcome;

namespace {

std::string base36(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  return out;
}

// Caddy's ETag: modification time and size in base 36.
std::string etagOf(const struct stat& st) {
  return "\"" + base36(static_cast<uint64_t>(st.st_mtime)) + base36(static_cast<uint64_t>(st.st_size)) + "\"";
}

// The type by the file's extension; without one Caddy's file server stops Go from sniffing.
void setContentType(Exchange& ex, const std::string& filename) {
  auto& hdr = ex.response.headers;
  if (hdr.has("Content-Type")) {
    return;
  }
  auto ct = http::contentTypeByExtension(filename);
  if (!ct.empty()) {
    hdr.set("Content-Type", ct);
  } else {
    http::noteNilContentType(ex);
  }
}

// A 405 for methods other than GET and HEAD, as caddy 2.6.3+ (2.6.2 served every method).
// In error routes the file is the error page, whatever the method (newer Caddy, #5703).
std::optional<Outcome> methodNotAllowed(Exchange& ex) {
  const bool errorPage = ex.error.status != 0 && ex.error.routed;
  if (ex.request.method == "GET" || ex.request.method == "HEAD" || errorPage) {
    return std::nullopt;
  }
  ex.response.headers.add("Allow", "GET, HEAD");
  return ex.fail(405, {}, runtime::traces::kNoCaddyOrigin);
}

}  // namespace

Outcome FileServer::serveFile(Exchange& ex, const std::string& filename, const std::string& realFile,
                              const std::string& realRoot) const {
  UniqueFd fd(::open(realFile.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    return statError(ex, err, "open " + realFile + ": " + runtime::goErrnoText(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return notFound(ex);
  }
  auto& hdr = ex.response.headers;
  hdr.add("Vary", "Accept-Encoding");
  if (auto refused = methodNotAllowed(ex)) {
    return *refused;
  }
  std::string etag(hdr.get("Etag"));
  // A sidecar is sent in place of the file: its bytes, size and ETag, the file's
  // modification time and Content-Type (Caddy treats sidecars as transparent).
  struct stat sent = st;
  if (auto side = openSidecar(ex, filename, realRoot)) {
    fd = std::move(side->fd);
    sent.st_size = side->st.st_size;
    hdr.set("Content-Encoding", side->encoding);
    if (etag.empty()) {
      etag = etagOf(side->st);
    }
  }
  if (etag.empty()) {
    etag = etagOf(st);
  }
  hdr.set("Etag", etag);
  setContentType(ex, filename);
  return serveContent(ex, std::move(fd), sent, etag);
}

// The first precompressed file the client accepts, by its q-values and then the
// configured order; one that is missing, a directory or outside the root is skipped.
std::optional<FileServer::Sidecar> FileServer::openSidecar(const Exchange& ex, const std::string& filename,
                                                           const std::string& realRoot) const {
  if (precompressed.empty()) {
    return std::nullopt;
  }
  std::vector<std::string> order;
  for (const auto& [enc, _] : precompressed) {
    order.push_back(enc);
  }
  for (const auto& enc : acceptedEncodings(ex.request.headers.get("Accept-Encoding"), false, order)) {
    auto it = std::find_if(precompressed.begin(), precompressed.end(),
                           [&](const auto& p) { return p.first == enc; });
    if (it == precompressed.end()) {
      continue;
    }
    auto real = realPath(filename + it->second);
    if (!real || !within(*real, realRoot)) {
      continue;
    }
    Sidecar side;
    side.fd = UniqueFd(::open(real->c_str(), O_RDONLY | O_CLOEXEC));
    if (side.fd.get() < 0 || ::fstat(side.fd.get(), &side.st) != 0 || !S_ISREG(side.st.st_mode)) {
      continue;
    }
    side.encoding = enc;
    return side;
  }
  return std::nullopt;
}

}  // namespace gatehouse::handlers
