// file_server's directory listings (browse): checked against the root like files, redirected
// to their '/' form, then read and rendered on the thread pool.

#include "handlers/browse.h"
#include "handlers/browse_work.h"
#include "handlers/file_paths.h"
#include "handlers/file_server.h"

namespace gatehouse::handlers {

using runtime::Exchange;
using runtime::Outcome;

Outcome FileServer::browseDirectory(Exchange& ex, const std::string& dir, const std::string& absRoot,
                                    const std::vector<std::string>& hideList) const {
  auto realRoot = realPath(absRoot);
  auto realDir = realPath(dir);
  if (!realRoot || !realDir || !within(*realDir, *realRoot)) {
    return notFound(ex);
  }
  // Relative links in the listing need the trailing slash (whatever canonical_uris says).
  if (auto to = slashRedirectTarget(ex, true, true)) {
    return redirect(ex, std::move(*to));
  }
  // readdir and a stat per entry: on the thread pool (a directory may be huge or slow).
  ListingRequest listing{dir, [hideList](const std::string& p) { return hidden(p, hideList); },
                         browseTemplate, absRoot};
  auto work = std::make_unique<ListingWork>(ex, std::move(listing), std::move(ex.pending));
  ListingWork& w = *work;
  ex.pending = std::move(work);
  w.start();
  return Outcome::Paused;
}

}  // namespace gatehouse::handlers
