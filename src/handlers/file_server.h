#pragma once
// file_server: static files with Caddy's lookup rules (root + cleaned path, index files,
// hide, canonical-URI redirects, 405 for other methods) and Go's http.ServeContent answers
// (Etag/Last-Modified, conditional requests, byte ranges). Metadata calls (stat, realpath,
// open) run on the loop; body bytes go through the thread pool (FileBody), and so do browse
// listings (ListingWork). The handler's steps live in files by job:
//   file_server_options.cpp    provisioning from the JSON config (makeFileServer)
//   file_server_lookup.cpp     the request path to a file: root, hide, index files, bounds
//   file_server_redirects.cpp  canonical-URI redirects (trailing '/' added or dropped)
//   file_server_browse.cpp     directory listings
//   file_server_response.cpp   the answer's headers: method, precompressed sidecars, ETag
//   file_server_content.cpp    Go's ServeContent: conditionals, ranges, the body

#include <sys/stat.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gatehouse/runtime/handler.h"
#include "handlers/byteranges.h"
#include "handlers/file_body.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

class FileServer final : public runtime::Handler {
 public:
  router::Template root{"{http.vars.root}"};
  std::vector<router::Template> hide;
  std::vector<router::Template> indexNames{router::Template("index.html"), router::Template("index.txt")};
  bool canonicalUris = true;
  bool passThru = false;
  router::Template statusCode;
  bool browse = false;
  std::string browseTemplate;  // browse { template_file }: a Go template for the listing
  // precompressed sidecars: (encoding, file suffix) in precompressed_order.
  std::vector<std::pair<std::string, std::string>> precompressed;

  runtime::Outcome handle(runtime::Exchange& ex) const override;

 private:
  // file_server_lookup.cpp
  runtime::Outcome serveFound(runtime::Exchange& ex, std::string filename, struct stat st,
                              const std::string& absRoot, const std::vector<std::string>& hideList) const;
  [[nodiscard]] std::vector<std::string> renderHide(runtime::Exchange& ex) const;
  bool findIndex(runtime::Exchange& ex, std::string& filename, struct stat& st,
                 const std::vector<std::string>& hideList) const;
  runtime::Outcome statError(runtime::Exchange& ex, int err, std::string message) const;
  runtime::Outcome notFound(runtime::Exchange& ex) const;

  // file_server_redirects.cpp
  // `listing`: a directory listing also redirects when a prefix strip emptied the path.
  static std::optional<std::string> slashRedirectTarget(const runtime::Exchange& ex, bool wantSlash,
                                                        bool listing = false);
  [[nodiscard]] std::optional<std::string> canonicalTarget(const runtime::Exchange& ex,
                                                           bool implicitIndex) const;
  static runtime::Outcome redirect(runtime::Exchange& ex, std::string to);

  // file_server_browse.cpp
  runtime::Outcome browseDirectory(runtime::Exchange& ex, const std::string& dir, const std::string& absRoot,
                                   const std::vector<std::string>& hideList) const;

  // file_server_response.cpp
  struct Sidecar {
    UniqueFd fd;
    struct stat st {};
    std::string encoding;
  };
  runtime::Outcome serveFile(runtime::Exchange& ex, const std::string& filename, const std::string& realFile,
                             const std::string& realRoot) const;
  std::optional<Sidecar> openSidecar(const runtime::Exchange& ex, const std::string& filename,
                                     const std::string& realRoot) const;

  // file_server_content.cpp
  runtime::Outcome serveContent(runtime::Exchange& ex, UniqueFd fd, const struct stat& st,
                                const std::string& etag) const;
  std::optional<runtime::Outcome> forcedStatus(runtime::Exchange& ex, int& forced) const;
};

}  // namespace gatehouse::handlers
