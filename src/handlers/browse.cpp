#include "handlers/browse.h"

#include <dirent.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <memory>

#include "gatehouse/html_escape.h"
#include "handlers/go_sort.h"
#include "http/http_date.h"
#include "http/uri.h"

namespace gatehouse::handlers {

using runtime::Exchange;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

int toInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : 0;
}

// Go's url.Values.Get on a raw query: the first value of `key`, unescaped.
std::string queryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      std::string v(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      std::replace(v.begin(), v.end(), '+', ' ');
      auto decoded = http::percentDecode(v);
      return decoded ? *decoded : v;
    }
  }
  return {};
}

std::string cookieValue(const runtime::HeaderList& headers, std::string_view name) {
  for (const auto& f : headers) {
    if (!runtime::equalsIgnoreCase(f.name, "Cookie")) {
      continue;
    }
    std::string_view rest = f.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!part.empty() && part.front() == ' ') {
        part.remove_prefix(1);
      }
      size_t eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) {
        return std::string(part.substr(eq + 1));
      }
    }
  }
  return {};
}

// RFC 3339 with nanoseconds trimmed of trailing zeros, as Go marshals a UTC time.Time.
std::string rfc3339(std::time_t t, long nanos) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (nanos > 0) {
    char frac[32];
    std::snprintf(frac, sizeof(frac), ".%09ld", nanos % 1000000000);
    std::string f = frac;
    while (f.back() == '0') {
      f.pop_back();
    }
    out += f;
  }
  return out + "Z";
}

void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

// humanize.IBytes-like sizes, as Caddy's template prints them.
std::string humanSize(uint64_t n) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (n < 10) {
    return std::to_string(n) + " B";
  }
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  return buf;
}

namespace {

bool byLowerName(const ListingItem& a, const ListingItem& b) {
  return lower(a.name) < lower(b.name);
}

}  // namespace

std::vector<ListingItem> readListing(const std::string& dir,
                                     const std::function<bool(const std::string&)>& hidden) {
  std::vector<ListingItem> items;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) {
    return items;
  }
  while (dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    const std::string full = dir + "/" + name;
    if (name == "." || name == ".." || hidden(full)) {
      continue;
    }
    struct stat lst {};
    if (::lstat(full.c_str(), &lst) != 0) {
      continue;
    }
    ListingItem item;
    item.isSymlink = S_ISLNK(lst.st_mode);
    struct stat st = lst;
    if (item.isSymlink && ::stat(full.c_str(), &st) != 0) {
      st = lst;  // a dangling link is listed as the link itself
    }
    // As caddy 2.6.2: a link's target gives is_dir and size, the link itself its
    // modification time and mode.
    item.isDir = S_ISDIR(st.st_mode);
    item.size = static_cast<uint64_t>(st.st_size);
    item.modTime = lst.st_mtim.tv_sec;
    item.modNanos = lst.st_mtim.tv_nsec;
    item.mode = goFileMode(lst);
    item.name = item.isDir ? name + "/" : name;
    item.url = "./" + http::goEscapePath(item.name);
    items.push_back(std::move(item));
  }
  // Directory order, unsorted: Caddy reads the listing with File.ReadDir (not os.ReadDir,
  // which sorts), so an unknown ?sort= and ties of size or time keep this order.
  return items;
}

uint32_t goFileMode(const struct stat& st) {
  uint32_t mode = st.st_mode & 0777;
  if (S_ISDIR(st.st_mode)) {
    mode |= 1u << 31;
  } else if (S_ISLNK(st.st_mode)) {
    mode |= 1u << 27;
  } else if (S_ISFIFO(st.st_mode)) {
    mode |= 1u << 25;
  } else if (S_ISSOCK(st.st_mode)) {
    mode |= 1u << 24;
  } else if (S_ISCHR(st.st_mode)) {
    mode |= (1u << 26) | (1u << 21);
  } else if (S_ISBLK(st.st_mode)) {
    mode |= 1u << 26;
  }
  if ((st.st_mode & S_ISUID) != 0) {
    mode |= 1u << 23;
  }
  if ((st.st_mode & S_ISGID) != 0) {
    mode |= 1u << 22;
  }
  if ((st.st_mode & S_ISVTX) != 0) {
    mode |= 1u << 20;
  }
  return mode;
}

void sortAndLimit(std::vector<ListingItem>& items, std::string& sort, std::string& order,
                  std::string_view limit, std::string_view offset) {
  std::function<bool(const ListingItem&, const ListingItem&)> less;
  if (sort == "name") {
    less = byLowerName;
  } else if (sort == "namedirfirst") {
    less = [](const ListingItem& a, const ListingItem& b) {
      return a.isDir == b.isDir ? byLowerName(a, b) : a.isDir;
    };
  } else if (sort == "size") {
    // Directories first, by name: their sizes mean nothing across file systems.
    less = [](const ListingItem& a, const ListingItem& b) {
      if (a.isDir && b.isDir) {
        return byLowerName(a, b);
      }
      const int64_t as = a.isDir ? INT32_MIN : static_cast<int64_t>(a.size);
      const int64_t bs = b.isDir ? INT32_MIN : static_cast<int64_t>(b.size);
      return as < bs;
    };
  } else if (sort == "time") {
    less = [](const ListingItem& a, const ListingItem& b) {
      return a.modTime != b.modTime ? a.modTime < b.modTime : a.modNanos < b.modNanos;
    };
  }
  if (less) {
    // Go's sort.Sort (sort.Reverse for desc): ties land where caddy 2.6.2 puts them.
    if (order == "desc") {
      goSort(items, [&](const ListingItem& a, const ListingItem& b) { return less(b, a); });
    } else {
      goSort(items, less);
    }
  }
  if (int off = toInt(offset); off > 0 && static_cast<size_t>(off) <= items.size()) {
    items.erase(items.begin(), items.begin() + off);
  }
  if (int lim = toInt(limit); lim > 0 && static_cast<size_t>(lim) <= items.size()) {
    items.resize(static_cast<size_t>(lim));
  }
}

std::string listingJson(const std::vector<ListingItem>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    out += i == 0 ? "{" : ",{";
    out += "\"name\":";
    appendJsonString(out, it.name);
    out += ",\"size\":" + std::to_string(it.size) + ",\"url\":";
    appendJsonString(out, it.url);
    out += ",\"mod_time\":";
    appendJsonString(out, rfc3339(it.modTime, it.modNanos));
    out += ",\"mode\":" + std::to_string(it.mode);
    out += ",\"is_dir\":";
    out += it.isDir ? "true" : "false";
    out += ",\"is_symlink\":";
    out += it.isSymlink ? "true" : "false";
    out += "}";
  }
  return out + "]\n";
}

std::string listingHtml(const std::vector<ListingItem>& items, const std::string& path,
                        const std::string& sort, const std::string& order) {
  size_t dirs = 0;
  for (const auto& it : items) {
    dirs += it.isDir ? 1 : 0;
  }
  const std::string title = htmlEscape(path);
  auto header = [&](const char* key, const char* label) {
    const bool active = sort == key;
    const char* next = active && order == "asc" ? "desc" : "asc";
    return std::string("<th><a href=\"?sort=") + key + "&amp;order=" + next + "\">" + label +
           (active ? (order == "asc" ? " &#9650;" : " &#9660;") : "") + "</a></th>";
  };
  std::string out =
      "<!DOCTYPE html>\n<html>\n<head>\n<title>" + title +
      "</title>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1.0\">\n"
      "<style>\n"
      "body{font-family:-apple-system,BlinkMacSystemFont,\"Segoe "
      "UI\",Roboto,sans-serif;margin:0;color:#333}\n"
      "header{padding:25px 5%;background:#f2f2f2;border-bottom:1px solid #e3e3e3}\n"
      "h1{font-size:20px;font-weight:normal;margin:0;word-break:break-all}h1 "
      "a{color:#006ed3;text-decoration:none}\n"
      "main{padding:0 5%}.meta{padding:20px 0;font-size:12px;color:#999}\n"
      "table{width:100%;border-collapse:collapse}th{text-align:left;font-size:14px;padding:10px 5px;"
      "border-bottom:1px solid #ddd}th a{color:#333;text-decoration:none}\n"
      "td{padding:6px 5px;font-size:14px;border-bottom:1px solid #f0f0f0}td "
      "a{color:#006ed3;text-decoration:none}\n"
      "tr:hover{background:#f5f5f5}.size,.timestamp{text-align:right;color:#666;white-space:nowrap}\n"
      "</style>\n</head>\n<body>\n<header>\n<h1>";
  // Breadcrumbs: each path element links to its directory.
  std::string so_far = "/";
  out += "<a href=\"/\">/</a>";
  size_t start = 1;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    const std::string elem = path.substr(start, slash - start);
    so_far += elem + "/";
    out += "<a href=\"" + htmlEscape(http::escapePath(so_far)) + "\">" + htmlEscape(elem) + "</a>/";
    start = slash + 1;
  }
  out += "</h1>\n</header>\n<main>\n<div class=\"meta\">" + std::to_string(dirs) + " director" +
         (dirs == 1 ? "y" : "ies") + ", " + std::to_string(items.size() - dirs) + " file" +
         (items.size() - dirs == 1 ? "" : "s") + "</div>\n<table>\n<thead><tr>" +
         header("namedirfirst", "Name") + header("size", "Size") + header("time", "Modified") +
         "</tr></thead>\n<tbody>\n";
  if (path != "/") {
    out +=
        "<tr><td><a href=\"..\">Go up</a></td><td class=\"size\">&mdash;</td><td "
        "class=\"timestamp\">&mdash;</td></tr>\n";
  }
  for (const auto& it : items) {
    out += "<tr><td><a href=\"" + htmlEscape(it.url) + "\">" + htmlEscape(it.name) +
           "</a></td><td class=\"size\">" + (it.isDir ? std::string("&mdash;") : humanSize(it.size)) +
           "</td><td class=\"timestamp\"><time datetime=\"" + rfc3339(it.modTime, 0) + "\">" +
           http::formatHttpDate(it.modTime) + "</time></td></tr>\n";
  }
  out += "</tbody>\n</table>\n</main>\n</body>\n</html>\n";
  return out;
}

BrowseView browseView(const runtime::Request& req) {
  BrowseView view;
  view.path = http::cleanPath(req.path);  // as Caddy lists it: "/d/x/../" is "/d/"
  view.sort = queryValue(req.query, "sort");
  view.order = queryValue(req.query, "order");
  if (view.sort.empty()) {
    view.sort = cookieValue(req.headers, "sort");
    if (view.sort.empty()) {
      view.sort = "namedirfirst";
    }
  } else if (view.sort == "name" || view.sort == "namedirfirst" || view.sort == "size" ||
             view.sort == "time") {
    view.cookies.push_back("sort=" + view.sort + (req.tls ? "; Secure" : ""));
  }
  if (view.order.empty()) {
    view.order = cookieValue(req.headers, "order");
    if (view.order.empty()) {
      view.order = "asc";
    }
  } else if (view.order == "asc" || view.order == "desc") {
    view.cookies.push_back("order=" + view.order + (req.tls ? "; Secure" : ""));
  }
  view.limit = queryValue(req.query, "limit");
  view.offset = queryValue(req.query, "offset");
  view.json = lower(req.headers.get("Accept")).find("application/json") != std::string::npos;
  return view;
}

BrowseAnswer renderBrowse(std::vector<ListingItem> items, BrowseView view, const std::string& templateFile,
                          const std::string& root) {
  ListingContext lc;
  for (const auto& it : items) {
    (it.isDir ? lc.numDirs : lc.numFiles) += 1;
  }
  sortAndLimit(items, view.sort, view.order, view.limit, view.offset);
  BrowseAnswer answer;
  if (view.json) {
    answer.contentType = "application/json; charset=utf-8";
    answer.body = listingJson(items);
    return answer;
  }
  answer.contentType = "text/html; charset=utf-8";
  if (!templateFile.empty()) {
    lc.path = view.path;
    lc.sort = view.sort;
    lc.order = view.order;
    lc.limit = std::max(0, toInt(view.limit));
    lc.offset = std::max(0, toInt(view.offset));
    answer.task = browseTemplateTask(templateFile, root, items, lc);
    return answer;
  }
  answer.body = listingHtml(items, view.path, view.sort, view.order);
  return answer;
}

}  // namespace gatehouse::handlers
