// file_server: static files with Caddy's lookup rules (root + cleaned path, index files,
// hide, canonical-URI redirects, 405 for other methods) and Go's http.ServeContent answers
// (Etag/Last-Modified, conditional requests, a single byte range). Metadata calls (stat,
// realpath, open) run on the loop; body bytes go through the thread pool (FileBody), and so
// do browse listings (ListingWork).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include "gatehouse/runtime/error_traces.h"
#include "gatehouse/runtime/request_path_fs.h"
#include "handlers/browse.h"
#include "handlers/browse_work.h"
#include "handlers/byteranges.h"
#include "handlers/byteranges_body.h"
#include "handlers/encode.h"
#include "handlers/file_body.h"
#include "handlers/file_paths.h"
#include "handlers/handlers.h"
#include "handlers/request_preconditions.h"
#include "http/content_type.h"
#include "http/exchange_notes.h"
#include "http/go_body_buffer.h"
#include "http/http_date.h"
#include "http/mime_table.h"
#include "http/uri.h"
#include "provision/provision_error.h"
#include "router/matchers.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using router::Template;
using runtime::Exchange;
using runtime::Outcome;

namespace {

constexpr uint64_t kInlineReadMax = 64 * 1024;

std::string base36(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  return out;
}

class FileServer final : public runtime::Handler {
 public:
  Template root{"{http.vars.root}"};
  std::vector<Template> hide;
  std::vector<Template> indexNames{Template("index.html"), Template("index.txt")};
  bool canonicalUris = true;
  bool passThru = false;
  Template statusCode;
  bool browse = false;
  std::string browseTemplate;  // browse { template_file }: a Go template for the listing
  // precompressed sidecars: (encoding, file suffix) in precompressed_order.
  std::vector<std::pair<std::string, std::string>> precompressed;

  Outcome handle(Exchange& ex) const override {
    auto& req = ex.request;
    std::string rootDir = root.render(ex);
    if (rootDir.empty()) {
      rootDir = ".";
    }
    std::error_code ec;
    std::string absRoot = std::filesystem::absolute(rootDir, ec).lexically_normal().string();
    if (ec) {
      return ex.fail(500, {}, runtime::traces::kFileStatFailed);
    }
    if (absRoot.size() > 1 && absRoot.back() == '/') {
      absRoot.pop_back();
    }
    std::vector<std::string> hideList;
    for (const auto& h : hide) {
      std::string v = h.render(ex);
      if (v.find('/') != std::string::npos) {
        v = std::filesystem::absolute(v, ec).lexically_normal().string();
      }
      hideList.push_back(std::move(v));
    }
    // Cleaning "/"+path can never climb above the root: "/../x" becomes "/x".
    std::string rel = http::cleanPath("/" + req.path);
    if (rel.size() > 1 && rel.back() == '/') {
      rel.pop_back();
    }
    std::string filename = absRoot == "/" ? rel : absRoot + (rel == "/" ? "" : rel);

    struct stat st {};
    if (runtime::statRequestPath(filename, st) != 0) {
      // A NUL in the path ("%00") ends here as in Go: EINVAL, a 500.
      const int err = errno;
      return statError(ex, err,
                       "stat " + shownPath(rootDir, rel, req.path) + ": " + runtime::goErrnoText(err));
    }
    // Caddy keeps the request's trailing '/' on the joined name, so "file.txt/" fails its
    // stat (ENOTDIR, mapped to not found) instead of reaching the file.
    if (!S_ISDIR(st.st_mode) && rel != "/" && req.path.ends_with('/')) {
      return notFound(ex);
    }
    bool implicitIndex = false;
    if (S_ISDIR(st.st_mode)) {
      for (const auto& t : indexNames) {
        std::string idx = filename + "/" + t.render(ex);
        struct stat ist {};
        if (hidden(idx, hideList) || ::stat(idx.c_str(), &ist) != 0) {
          continue;
        }
        filename = std::move(idx);
        st = ist;
        implicitIndex = true;
        break;
      }
    }
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
    if (canonicalUris) {
      // Only when the last path element was not rewritten (Caddy #4205).
      std::string origPath = req.origUri.substr(0, req.origUri.find('?'));
      auto decodedOrig = http::percentDecode(origPath);
      if (decodedOrig) {
        origPath = *decodedOrig;
      }
      auto base = [](std::string_view p) {
        while (p.size() > 1 && p.back() == '/') {
          p.remove_suffix(1);
        }
        size_t s = p.rfind('/');
        return s == std::string_view::npos ? p : p.substr(s + 1);
      };
      if (base(origPath) == base(req.path)) {
        if (implicitIndex && !origPath.ends_with("/")) {
          return redirect(ex, origPath + "/");
        }
        if (!implicitIndex && origPath.ends_with("/")) {
          return redirect(ex, origPath.substr(0, origPath.size() - 1));
        }
      }
    }
    UniqueFd fd(::open(realFile->c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      const int err = errno;
      return statError(ex, err, "open " + *realFile + ": " + runtime::goErrnoText(err));
    }
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return notFound(ex);
    }
    auto& hdr = ex.response.headers;
    hdr.add("Vary", "Accept-Encoding");
    // In error routes the file is the error page, whatever the method (newer Caddy, #5703;
    // 2.6.2 served every method).
    const bool errorPage = ex.error.status != 0 && ex.error.routed;
    if (req.method != "GET" && req.method != "HEAD" && !errorPage) {
      hdr.add("Allow", "GET, HEAD");
      return ex.fail(405, {}, runtime::traces::kNoCaddyOrigin);  // as caddy 2.6.3+, not 2.6.2
    }
    std::string etag(hdr.get("Etag"));
    // A sidecar is sent in place of the file: its bytes, size and ETag, the file's
    // modification time and Content-Type (Caddy treats sidecars as transparent).
    struct stat sent = st;
    if (auto side = openSidecar(ex, filename, *realRoot)) {
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
    if (!hdr.has("Content-Type")) {
      auto ct = http::contentTypeByExtension(filename);
      if (!ct.empty()) {
        hdr.set("Content-Type", ct);
      } else {
        http::noteNilContentType(ex);  // Caddy's file server stops Go from sniffing one
      }
    }
    return serveContent(ex, std::move(fd), sent, etag);
  }

 private:
  // Several ranges as one multipart/byteranges body with its Content-Length, as Go's
  // ServeContent sends it whatever the size: read inline when small (as single small files
  // are), streamed range by range through the thread pool otherwise. `status` is 206 unless
  // forced (`status`, or the error's in an error route).
  static std::optional<Outcome> serveByteranges(Exchange& ex, UniqueFd& fd,
                                                const std::vector<ByteRange>& ranges, uint64_t size,
                                                int status) {
    uint64_t total = 0;
    for (const auto& r : ranges) {
      total += r.length;
    }
    auto& hdr = ex.response.headers;
    const std::string boundary = randomBoundary();
    const std::string ctype(hdr.get("Content-Type"));
    const uint64_t length = byterangesLength(ranges, size, ctype, boundary);
    const bool head = ex.request.method == "HEAD";
    std::string body;
    if (total <= kInlineReadMax && !head) {
      auto inlineBody = byterangesBody(fd.get(), ranges, size, ctype, boundary);
      if (!inlineBody) {
        return std::nullopt;
      }
      body = std::move(*inlineBody);
    }
    hdr.set("Content-Type", "multipart/byteranges; boundary=" + boundary);
    hdr.set("Accept-Ranges", "bytes");
    hdr.set("Content-Length", std::to_string(length));
    if (head) {
      return ex.respond(status);  // the session writes no body for HEAD
    }
    if (total > kInlineReadMax) {
      ex.response.stream = std::make_unique<ByterangesBody>(std::move(fd), ranges, size, ctype, boundary);
      ex.response.streamLength = length;
      ex.response.status = status;
      return Outcome::Handled;
    }
    return ex.respond(status, std::move(body));
  }

  Outcome browseDirectory(Exchange& ex, const std::string& dir, const std::string& absRoot,
                          const std::vector<std::string>& hideList) const {
    auto realRoot = realPath(absRoot);
    auto realDir = realPath(dir);
    if (!realRoot || !realDir || !within(*realDir, *realRoot)) {
      return notFound(ex);
    }
    // Relative links in the listing need the trailing slash; redirect only when the last
    // path element was not rewritten (Caddy #4205).
    std::string origPath = ex.request.origUri.substr(0, ex.request.origUri.find('?'));
    if (auto decoded = http::percentDecode(origPath)) {
      origPath = *decoded;
    }
    auto base = [](std::string_view p) {
      while (p.size() > 1 && p.back() == '/') {
        p.remove_suffix(1);
      }
      size_t s = p.rfind('/');
      return s == std::string_view::npos ? p : p.substr(s + 1);
    };
    if (base(origPath) == base(ex.request.path) && !origPath.ends_with("/")) {
      return redirect(ex, origPath + "/");
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

  struct Sidecar {
    UniqueFd fd;
    struct stat st {};
    std::string encoding;
  };

  static std::string etagOf(const struct stat& st) {
    return "\"" + base36(static_cast<uint64_t>(st.st_mtime)) + base36(static_cast<uint64_t>(st.st_size)) +
           "\"";
  }

  // The first precompressed file the client accepts, by its q-values and then the
  // configured order; one that is missing, a directory or outside the root is skipped.
  std::optional<Sidecar> openSidecar(const Exchange& ex, const std::string& filename,
                                     const std::string& realRoot) const {
    if (precompressed.empty()) {
      return std::nullopt;
    }
    std::vector<std::string> order;
    for (const auto& [enc, _] : precompressed) {
      order.push_back(enc);
    }
    const auto accepted = acceptedEncodings(ex.request.headers.get("Accept-Encoding"), false, order);
    for (const auto& enc : accepted) {
      auto it = std::find_if(precompressed.begin(), precompressed.end(),
                             [&](const auto& p) { return p.first == enc; });
      if (it == precompressed.end()) {
        continue;
      }
      const std::string path = filename + it->second;
      auto real = realPath(path);
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
  // `message` is Go's error text, {http.error.message} and the error log's message.
  Outcome statError(Exchange& ex, int err, std::string message) const {
    if (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP) {
      return notFound(ex);
    }
    if (err == EACCES || err == EPERM) {
      return ex.fail(403, std::move(message), runtime::traces::kFileForbidden);
    }
    return ex.fail(500, std::move(message), runtime::traces::kFileStatFailed);
  }

  // The path as Caddy names it in errors: SanitizedPathJoin(root, path), the root as
  // configured (relative stays relative), a trailing '/' of the request path kept.
  static std::string shownPath(const std::string& rootDir, const std::string& rel,
                               const std::string& reqPath) {
    std::string shown = http::cleanPath(rootDir + (rel == "/" ? "" : rel));
    if (reqPath.size() > 1 && reqPath.back() == '/' && shown != "/") {
      shown.push_back('/');
    }
    return shown;
  }

  Outcome notFound(Exchange& ex) const {
    return passThru ? Outcome::Continue : ex.fail(404, {}, runtime::traces::kFileNotFound);
  }

  static Outcome redirect(Exchange& ex, std::string to) {
    // Go's http.Redirect cleans a path-only target ("/idx/." -> "/idx/"), trailing '/' kept.
    to = http::cleanPath(to);
    while (to.starts_with("//")) {
      to.erase(0, 1);
    }
    std::string location = http::escapePath(to);
    // As Caddy: the query goes along only when it has something ("/d?" -> "/d/", Go's empty RawQuery).
    if (!ex.request.query.empty()) {
      location += "?" + ex.request.query;
    }
    ex.response.headers.set("Location", location);
    // Go's http.Redirect: a Content-Type for GET and HEAD, the link body for GET only (so a
    // HEAD answer carries no Content-Length either).
    std::string body;
    if (ex.request.method == "GET" || ex.request.method == "HEAD") {
      ex.response.headers.set("Content-Type", "text/html; charset=utf-8");
    }
    if (ex.request.method == "GET") {
      body = "<a href=\"" + location + "\">Permanent Redirect</a>.\n\n";
    }
    return ex.respond(308, std::move(body));
  }

  // Go's http.ServeContent: preconditions, then a single range or the whole file.
  Outcome serveContent(Exchange& ex, UniqueFd fd, const struct stat& st, const std::string& etag) const {
    auto& req = ex.request;
    auto& hdr = ex.response.headers;
    const auto size = static_cast<uint64_t>(st.st_size);
    const std::time_t mtime = st.st_mtime;
    // Inside error routes the error's status, else a configured `status`, replaces whatever
    // status Go's ServeContent writes (Caddy wraps the writer), even 304, 412 and 416.
    int forced = ex.error.status != 0 && ex.error.routed ? (ex.error.plain ? 500 : ex.error.status) : 0;
    if (!statusCode.source().empty()) {
      std::string s = statusCode.render(ex);
      // Go's strconv.Atoi: an optional sign, then digits; its error is the message.
      const char* begin = s.data() + (s.size() > 1 && s.front() == '+' ? 1 : 0);
      auto [p, ec] = std::from_chars(begin, s.data() + s.size(), forced);
      if (ec != std::errc() || p != s.data() + s.size()) {
        std::string quoted = "\"";
        for (char c : s) {
          quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
        }
        const bool range = ec == std::errc::result_out_of_range;
        return ex.fail(
            500,
            "strconv.Atoi: parsing " + quoted + "\": " + (range ? "value out of range" : "invalid syntax"),
            runtime::traces::kFileBadStatus);
      }
    }
    if (mtime > 0) {  // ServeContent's, so not on a failed `status` (Caddy fails before it)
      hdr.set("Last-Modified", http::formatHttpDate(mtime));
    }
    auto statusOr = [forced](int s) { return forced > 0 ? forced : s; };
    const bool getOrHead = req.method == "GET" || req.method == "HEAD";
    std::string_view ifMatch = req.headers.get("If-Match");
    if (!ifMatch.empty()) {
      if (!etagMatches(ifMatch, etag, false)) {
        return ex.respond(statusOr(412));  // Go's ServeContent writes it: not a handler error
      }
    } else if (auto ius = http::parseHttpDate(req.headers.get("If-Unmodified-Since")); ius && mtime > *ius) {
      return ex.respond(statusOr(412));
    }
    std::string_view inm = req.headers.get("If-None-Match");
    bool notModified = false;
    if (!inm.empty()) {
      notModified = etagMatches(inm, etag, true);
    } else if (getOrHead) {
      auto ims = http::parseHttpDate(req.headers.get("If-Modified-Since"));
      notModified = ims && mtime > 0 && mtime <= *ims;
    }
    if (notModified) {
      hdr.remove("Content-Type");
      hdr.remove("Content-Length");
      hdr.remove("Content-Encoding");
      if (hdr.has("Etag")) {
        hdr.remove("Last-Modified");
      }
      return ex.respond(statusOr(304));
    }
    int status = forced > 0 ? forced : 200;
    ByteRange range{0, size};
    std::string_view rangeHdr = req.headers.get("Range");
    std::string_view ifRange = req.headers.get("If-Range");
    if (!rangeHdr.empty() && !ifRange.empty()) {
      // A stale validator means the client wants the whole new representation.
      bool fresh = ifRange.starts_with("\"")
                       ? ifRange == etag
                       : http::parseHttpDate(ifRange) == std::optional<std::time_t>(mtime);
      if (!fresh) {
        rangeHdr = {};
      }
    }
    if (!rangeHdr.empty() && getOrHead) {
      // Go's http.Error for a bad range: plain text, nosniff, no Accept-Ranges.
      std::vector<ByteRange> ranges;
      switch (parseRange(rangeHdr, size, range, ranges)) {
        case RangeResult::NoOverlap:
          hdr.set("Content-Range", "bytes */" + std::to_string(size));
          hdr.set("Content-Type", "text/plain; charset=utf-8");
          hdr.set("X-Content-Type-Options", "nosniff");
          return ex.respond(statusOr(416), "invalid range: failed to overlap\n");
        case RangeResult::Invalid:
          hdr.set("Content-Type", "text/plain; charset=utf-8");
          hdr.set("X-Content-Type-Options", "nosniff");
          return ex.respond(statusOr(416), "invalid range\n");
        case RangeResult::One:
          status = statusOr(206);
          hdr.set("Content-Range", "bytes " + std::to_string(range.start) + "-" +
                                       std::to_string(range.start + range.length - 1) + "/" +
                                       std::to_string(size));
          break;
        case RangeResult::Several:
          if (auto done = serveByteranges(ex, fd, ranges, size, statusOr(206))) {
            return *done;
          }
          range = ByteRange{0, size};
          break;
        case RangeResult::None:
          range = ByteRange{0, size};
          break;
      }
    }
    hdr.set("Accept-Ranges", "bytes");
    if (!hdr.has("Content-Encoding")) {
      // Go's ServeContent puts the length in the header map (the access log's resp_headers
      // show it), except for a precompressed sidecar.
      hdr.set("Content-Length", std::to_string(range.length));
    }
    ex.response.status = status;
    if (req.method == "HEAD" || range.length == 0) {
      ex.response.streamLength = range.length;
      ex.response.stream.reset();
      ex.response.body.clear();
      // HEAD keeps the length it would have; the session writes no body for it. Not for a
      // sidecar: Go's ServeContent leaves its length out, and a HEAD writes nothing.
      if (!hdr.has("Content-Encoding")) {
        hdr.set("Content-Length", std::to_string(range.length));
      }
      return Outcome::Handled;
    }
    if (range.length <= kInlineReadMax) {
      // Small files come from the page cache in microseconds: one pread beats a thread-pool
      // round trip. Larger ones stream through the pool so the loop never waits on a disk.
      std::string& body = ex.response.body;
      body.resize(static_cast<size_t>(range.length));
      ssize_t n = ::pread(fd.get(), body.data(), body.size(), static_cast<off_t>(range.start));
      if (n == static_cast<ssize_t>(body.size())) {
        return Outcome::Handled;
      }
      body.clear();
    }
    ex.response.stream = std::make_unique<FileBody>(std::move(fd), range.start, range.length);
    ex.response.streamLength = range.length;
    const size_t goBuffer = req.versionMajor == 2 ? http::kGoHttp2BodyBuffer : http::kGoHttp1BodyBuffer;
    if (hdr.has("Content-Encoding") && range.length > goBuffer) {
      ex.response.streamLength = runtime::Response::kUnknownLength;  // a sidecar: Go chunks it
    }
    return Outcome::Handled;
  }
};
static_assert(std::derived_from<FileServer, runtime::Handler>);

}  // namespace

namespace {

// "precompressed": {"br": {}, "gzip": {}} and "precompressed_order": ["br", "gzip"] ->
// (encoding, suffix) pairs in order. Without an order: br, zstd, gzip.
std::vector<std::pair<std::string, std::string>> parsePrecompressed(const config::Json& f,
                                                                    const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!f.contains("precompressed")) {
    return out;
  }
  static const std::vector<std::pair<std::string, std::string>> kSuffixes = {
      {"br", ".br"}, {"zstd", ".zst"}, {"gzip", ".gz"}};
  for (const auto& [enc, cfg] : f["precompressed"].items()) {
    if (std::none_of(kSuffixes.begin(), kSuffixes.end(), [&](const auto& s) { return s.first == enc; })) {
      throw ProvisionError(path + ".precompressed." + enc,
                           "precompressed encoding '" + enc + "' is not supported");
    }
    if (!cfg.is_object() || !cfg.empty()) {
      throw ProvisionError(path + ".precompressed." + enc,
                           "options of precompressed encoders are not supported yet");
    }
  }
  std::vector<std::string> order;
  if (f.contains("precompressed_order")) {
    order = f["precompressed_order"].get<std::vector<std::string>>();
  } else {
    for (const auto& [enc, _] : kSuffixes) {
      order.push_back(enc);
    }
  }
  for (const auto& enc : order) {
    if (!f["precompressed"].contains(enc)) {
      if (f.contains("precompressed_order")) {
        throw ProvisionError(path + ".precompressed_order", "encoding '" + enc + "' is not in precompressed");
      }
      continue;
    }
    auto it = std::find_if(kSuffixes.begin(), kSuffixes.end(), [&](const auto& s) { return s.first == enc; });
    out.push_back(*it);
  }
  return out;
}

}  // namespace

std::unique_ptr<runtime::Handler> makeFileServer(const config::Handler& h, const std::string& path) {
  const auto& f = h.fields;
  if (f.contains("fs")) {
    throw ProvisionError(path + ".fs", "file_server option 'fs' is not supported yet");
  }
  if (f.contains("etag_file_extensions")) {
    throw ProvisionError(path + ".etag_file_extensions",
                         "file_server option 'etag_file_extensions' (Caddy 2.8+) is not supported yet");
  }
  requireKnownFields(h, path,
                     {"root", "hide", "index_names", "canonical_uris", "pass_thru", "status_code",
                      "precompressed", "precompressed_order", "browse"});
  auto fs = std::make_unique<FileServer>();
  http::MimeTable::system();  // read the MIME database at start-up, not on a serving loop
  try {
    if (f.contains("root")) {
      fs->root = Template(f["root"].get<std::string>());
    }
    if (f.contains("hide")) {
      for (const auto& v : f["hide"]) {
        fs->hide.emplace_back(v.get<std::string>());
      }
    }
    if (f.contains("index_names")) {
      fs->indexNames.clear();
      for (const auto& v : f["index_names"]) {
        fs->indexNames.emplace_back(v.get<std::string>());
      }
    }
    fs->precompressed = parsePrecompressed(f, path);
    if (f.contains("browse")) {
      for (const auto& [key, value] : f["browse"].items()) {
        if (key == "template_file") {
          fs->browseTemplate = value.get<std::string>();
          continue;
        }
        const bool newer = key == "sort" || key == "file_limit";  // Caddy 2.9
        throw ProvisionError(
            path + ".browse." + key,
            "browse option '" + key + (newer ? "' (Caddy 2.9+)" : "'") + " is not supported yet");
      }
      fs->browse = true;
    }
    fs->canonicalUris = f.value("canonical_uris", true);
    fs->passThru = f.value("pass_thru", false);
    if (f.contains("status_code")) {
      const auto& s = f["status_code"];
      fs->statusCode = Template(s.is_string() ? s.get<std::string>() : std::to_string(s.get<int>()));
    }
  } catch (const config::Json::exception& e) {
    throw ProvisionError(path, std::string("malformed file_server: ") + e.what());
  }
  return fs;
}

}  // namespace gatehouse::handlers
