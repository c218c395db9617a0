#pragma once
// file_server `browse`: a directory listing, as HTML or, when the client accepts
// application/json, as Caddy's JSON array. Sorting and paging follow Caddy's query
// parameters (sort=name|namedirfirst|size|time, order=asc|desc, limit, offset), remembered
// in sort/order cookies as Caddy 2.6 does.

#include <sys/stat.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "handlers/template_work.h"

namespace gatehouse::handlers {

struct ListingItem {
  std::string name;  // a directory's name ends with '/'
  std::string url;   // "./<escaped name>"
  uint64_t size = 0;
  std::time_t modTime = 0;
  long modNanos = 0;
  uint32_t mode = 0;  // Go's os.FileMode bits
  bool isDir = false;
  bool isSymlink = false;
};

// Reads `dir` (entries whose full path `hidden` accepts are left out), sorted by name.
std::vector<ListingItem> readListing(const std::string& dir,
                                     const std::function<bool(const std::string&)>& hidden);

// Applies sort/order/limit/offset in place; `sort` and `order` get the defaults used.
void sortAndLimit(std::vector<ListingItem>& items, std::string& sort, std::string& order,
                  std::string_view limit, std::string_view offset);

// Go's json.Encoder output for the items (with the trailing newline).
std::string listingJson(const std::vector<ListingItem>& items);
// The HTML page for `path` (the request path, ending in '/').
std::string listingHtml(const std::vector<ListingItem>& items, const std::string& path,
                        const std::string& sort, const std::string& order);

// Go's os.FileMode for a stat result (type bits in Go's layout, then permissions).
uint32_t goFileMode(const struct stat& st);

// What a request asks of a listing (query parameters, sort/order cookies, Accept), read on
// the loop; `cookies` are the Set-Cookie values that remember a chosen sort and order.
struct BrowseView {
  std::string path;  // the request path, ending in '/'
  std::string sort;
  std::string order;
  std::string limit;
  std::string offset;
  bool json = false;
  std::vector<std::string> cookies;
};
BrowseView browseView(const runtime::Request& req);

// The answer for a listing, sorted and paged as `view` asks: the body (JSON or HTML) with
// its Content-Type or, with `templateFile` (browse { template_file }), the template task to
// run with Caddy's template functions rooted at `root`. Pure: runs on the thread pool.
struct BrowseAnswer {
  std::string contentType;
  std::string body;
  std::optional<TemplateTask> task;
};
BrowseAnswer renderBrowse(std::vector<ListingItem> items, BrowseView view, const std::string& templateFile,
                          const std::string& root);

// The listing context of a browse template (Caddy 2.6.2's browseTemplateContext).
struct ListingContext {
  std::string path;  // the request path
  size_t numDirs = 0;
  size_t numFiles = 0;
  std::string sort;
  std::string order;
  int limit = 0;
  int offset = 0;
};
// The execution of the template file with the listing (read and run on the thread pool).
TemplateTask browseTemplateTask(const std::string& templateFile, const std::string& root,
                                const std::vector<ListingItem>& items, const ListingContext& ctx);
// humanize.IBytes-like sizes ("2.0 KiB").
std::string humanSize(uint64_t n);

}  // namespace gatehouse::handlers
