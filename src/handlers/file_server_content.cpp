// file_server's body as Go's http.ServeContent sends it: the preconditions (If-Match,
// If-Unmodified-Since, If-None-Match, If-Modified-Since), then one range, several ranges as
// multipart/byteranges, or the whole file; small bodies read inline, larger ones streamed
// through the thread pool.

#include <unistd.h>

#include <charconv>

#include "gatehouse/runtime/error_traces.h"
#include "handlers/byteranges_body.h"
#include "handlers/file_server.h"
#include "handlers/request_preconditions.h"
#include "handlers/writer_wrap.h"
#include "http/go_body_buffer.h"
#include "http/http_date.h"

namespace gatehouse::handlers {

using runtime::Exchange;
using runtime::Outcome;

namespace {

constexpr uint64_t kInlineReadMax = 64 * 1024;
constexpr uint64_t kGoSniffLen = 512;  // net/http sniffLen: what response.ReadFrom copies first

// The status Go's ServeContent would write, unless one is forced.
struct StatusOr {
  int forced = 0;
  int operator()(int s) const { return forced > 0 ? forced : s; }
};

// Go's strconv.Atoi error for `s`, the message of file_server's failed `status`.
std::string atoiErrorText(const std::string& s, bool outOfRange) {
  std::string quoted = "\"";
  for (char c : s) {
    quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  }
  return "strconv.Atoi: parsing " + quoted + "\": " + (outOfRange ? "value out of range" : "invalid syntax");
}

// 412 or 304 when the request's validators say so; nothing when the body is to be sent.
std::optional<Outcome> preconditionAnswer(Exchange& ex, const std::string& etag, std::time_t mtime,
                                          StatusOr statusOr) {
  const auto& req = ex.request;
  auto& hdr = ex.response.headers;
  std::string_view ifMatch = req.headers.get("If-Match");
  if (!ifMatch.empty()) {
    if (!etagMatches(ifMatch, etag, false)) {
      return ex.respond(statusOr(412));  // Go's ServeContent writes it: not a handler error
    }
  } else if (auto ius = http::parseHttpDate(req.headers.get("If-Unmodified-Since")); ius && mtime > *ius) {
    return ex.respond(statusOr(412));
  }
  std::string_view inm = req.headers.get("If-None-Match");
  const bool getOrHead = req.method == "GET" || req.method == "HEAD";
  bool notModified = false;
  if (!inm.empty()) {
    notModified = etagMatches(inm, etag, true);
    if (notModified && !getOrHead) {
      return ex.respond(statusOr(412));  // Go: a matching If-None-Match fails other methods
    }
  } else if (getOrHead) {
    auto ims = http::parseHttpDate(req.headers.get("If-Modified-Since"));
    notModified = ims && mtime > 0 && mtime <= *ims;
  }
  if (!notModified) {
    return std::nullopt;
  }
  hdr.remove("Content-Type");
  hdr.remove("Content-Length");
  hdr.remove("Content-Encoding");
  if (hdr.has("Etag")) {
    hdr.remove("Last-Modified");
  }
  return ex.respond(statusOr(304));
}

// The Range header to honour: none when If-Range names a stale validator (the client then
// wants the whole new representation). Go reads If-Range for GET and HEAD only; other
// methods (served in error routes) keep their Range whatever it says.
std::string_view honouredRange(const runtime::Request& req, const std::string& etag, std::time_t mtime) {
  std::string_view rangeHdr = req.headers.get("Range");
  std::string_view ifRange = req.headers.get("If-Range");
  if (rangeHdr.empty() || ifRange.empty() || (req.method != "GET" && req.method != "HEAD")) {
    return rangeHdr;
  }
  const bool fresh = ifRange.starts_with("\"")
                         ? ifRange == etag
                         : http::parseHttpDate(ifRange) == std::optional<std::time_t>(mtime);
  return fresh ? rangeHdr : std::string_view();
}

// A body with no Content-Length copied into Go's writer by ServeContent: on HTTP/1, when
// Go's response.ReadFrom is reached (writer_wrap.h), the head goes out after its first 512
// bytes, so a body that long is chunked.
bool readFromChunks(const Exchange& ex, uint64_t length) {
  return ex.request.versionMajor != 2 && length >= kGoSniffLen && goReadFromReached(ex);
}

// Go's http.Error for a bad range: plain text, nosniff, no Accept-Ranges.
Outcome rangeNotSatisfiable(Exchange& ex, bool noOverlap, uint64_t size, StatusOr statusOr) {
  auto& hdr = ex.response.headers;
  if (noOverlap) {
    hdr.set("Content-Range", "bytes */" + std::to_string(size));
  }
  hdr.set("Content-Type", "text/plain; charset=utf-8");
  hdr.set("X-Content-Type-Options", "nosniff");
  return ex.respond(statusOr(416), noOverlap ? "invalid range: failed to overlap\n" : "invalid range\n");
}

// Several ranges as one multipart/byteranges body with its Content-Length, as Go's
// ServeContent sends it whatever the size: read inline when small (as single small files
// are), streamed range by range through the thread pool otherwise. `status` is 206 unless
// forced (`status`, or the error's in an error route). Nothing when the inline read failed.
// A sidecar's parts get no Content-Length (Go's ServeContent leaves it out for a
// Content-Encoding): Go's framing rules decide, as for a whole sidecar.
std::optional<Outcome> serveByteranges(Exchange& ex, UniqueFd& fd, const std::vector<ByteRange>& ranges,
                                       uint64_t size, int status) {
  uint64_t total = 0;
  for (const auto& r : ranges) {
    total += r.length;
  }
  auto& hdr = ex.response.headers;
  const std::string boundary = randomBoundary();
  const std::string ctype(hdr.get("Content-Type"));
  const uint64_t length = byterangesLength(ranges, size, ctype, boundary);
  const bool head = ex.request.method == "HEAD";
  const bool sidecar = hdr.has("Content-Encoding");
  if (sidecar) {
    hdr.set("Content-Type", "multipart/byteranges; boundary=" + boundary);
    hdr.set("Accept-Ranges", "bytes");
    ex.response.status = status;
    if (head) {  // Go writes nothing for HEAD, so no framing field either
      ex.response.streamLength = length;
      return Outcome::Handled;
    }
    if (readFromChunks(ex, length) || total > kInlineReadMax) {
      ex.response.stream = std::make_unique<ByterangesBody>(std::move(fd), ranges, size, ctype, boundary);
      ex.response.streamLength = runtime::Response::kUnknownLength;
      // past ReadFrom's first 512 bytes the head is out; else Go's buffer holds it
      ex.response.sniff = !readFromChunks(ex, length);
      return Outcome::Handled;
    }
  }
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
  if (!sidecar) {
    hdr.set("Content-Length", std::to_string(length));  // (a sidecar's comes from Go's buffer)
  }
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

// The Range header applied: an answer of its own (416, multipart), or `range` and `status`
// narrowed to one range (or left whole).
std::optional<Outcome> applyRange(Exchange& ex, UniqueFd& fd, std::string_view rangeHdr, uint64_t size,
                                  ByteRange& range, int& status, StatusOr statusOr) {
  std::vector<ByteRange> ranges;
  switch (parseRange(rangeHdr, size, range, ranges)) {
    case RangeResult::NoOverlap:
      return rangeNotSatisfiable(ex, true, size, statusOr);
    case RangeResult::Invalid:
      return rangeNotSatisfiable(ex, false, size, statusOr);
    case RangeResult::One:
      status = statusOr(206);
      ex.response.headers.set("Content-Range", "bytes " + std::to_string(range.start) + "-" +
                                                   std::to_string(range.start + range.length - 1) + "/" +
                                                   std::to_string(size));
      return std::nullopt;
    case RangeResult::Several:
      if (auto done = serveByteranges(ex, fd, ranges, size, statusOr(206))) {
        return done;
      }
      range = ByteRange{0, size};
      return std::nullopt;
    case RangeResult::None:
      range = ByteRange{0, size};
      return std::nullopt;
  }
  return std::nullopt;
}

// Small files come from the page cache in microseconds: one pread beats a thread-pool round
// trip. Larger ones stream through the pool so the loop never waits on a disk. False (and
// `body` empty) when the read came short.
bool readInline(std::string& body, const UniqueFd& fd, ByteRange range) {
  body.resize(static_cast<size_t>(range.length));
  const ssize_t n = ::pread(fd.get(), body.data(), body.size(), static_cast<off_t>(range.start));
  if (n == static_cast<ssize_t>(body.size())) {
    return true;
  }
  body.clear();
  return false;
}

// `range` of the file as the answer's body: none for HEAD or an empty range, read inline
// when small, else streamed.
Outcome sendRange(Exchange& ex, UniqueFd fd, ByteRange range, int status) {
  const auto& req = ex.request;
  auto& hdr = ex.response.headers;
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
  // A sidecar has no Content-Length (Go's ServeContent leaves it out), and ServeContent's
  // io.CopyN reaches Go's response.ReadFrom unless a writer hides it (writer_wrap.h): that
  // copies the first 512 bytes, then sends the head, so on HTTP/1 a sidecar of 512 bytes
  // or more goes out chunked, not only past the 2048-byte buffer.
  if (hdr.has("Content-Encoding") && readFromChunks(ex, range.length)) {
    ex.response.stream = std::make_unique<FileBody>(std::move(fd), range.start, range.length);
    ex.response.streamLength = runtime::Response::kUnknownLength;
    ex.response.sniff = false;  // the head goes out before the body's end, unsniffed
    return Outcome::Handled;
  }
  if (range.length <= kInlineReadMax && readInline(ex.response.body, fd, range)) {
    return Outcome::Handled;
  }
  ex.response.stream = std::make_unique<FileBody>(std::move(fd), range.start, range.length);
  ex.response.streamLength = range.length;
  const size_t goBuffer = req.versionMajor == 2 ? http::kGoHttp2BodyBuffer : http::kGoHttp1BodyBuffer;
  if (hdr.has("Content-Encoding") && range.length > goBuffer) {
    ex.response.streamLength = runtime::Response::kUnknownLength;  // a sidecar: Go chunks it
  }
  return Outcome::Handled;
}

}  // namespace

// Inside error routes the error's status, else a configured `status`, replaces whatever
// status Go's ServeContent writes (Caddy wraps the writer), even 304, 412 and 416. An
// answer of its own when `status` does not read as a number (Go's strconv.Atoi).
std::optional<Outcome> FileServer::forcedStatus(Exchange& ex, int& forced) const {
  forced = ex.error.status != 0 && ex.error.routed ? (ex.error.plain ? 500 : ex.error.status) : 0;
  if (statusCode.source().empty()) {
    return std::nullopt;
  }
  std::string s = statusCode.render(ex);
  // Go's strconv.Atoi: an optional sign, then digits; its error is the message.
  const char* begin = s.data() + (s.size() > 1 && s.front() == '+' ? 1 : 0);
  auto [p, ec] = std::from_chars(begin, s.data() + s.size(), forced);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return ex.fail(500, atoiErrorText(s, ec == std::errc::result_out_of_range),
                   runtime::traces::kFileBadStatus);
  }
  return std::nullopt;
}

// Go's http.ServeContent: preconditions, then ranges or the whole file.
Outcome FileServer::serveContent(Exchange& ex, UniqueFd fd, const struct stat& st,
                                 const std::string& etag) const {
  const auto size = static_cast<uint64_t>(st.st_size);
  const std::time_t mtime = st.st_mtime;
  StatusOr statusOr;
  if (auto failed = forcedStatus(ex, statusOr.forced)) {
    return *failed;
  }
  if (mtime > 0) {  // ServeContent's, so not on a failed `status` (Caddy fails before it)
    ex.response.headers.set("Last-Modified", http::formatHttpDate(mtime));
  }
  if (auto answered = preconditionAnswer(ex, etag, mtime, statusOr)) {
    return *answered;
  }
  int status = statusOr(200);
  ByteRange range{0, size};
  // Go's ServeContent applies a Range whatever the method (an error route serves a POST).
  const std::string_view rangeHdr = honouredRange(ex.request, etag, mtime);
  if (!rangeHdr.empty()) {
    if (auto answered = applyRange(ex, fd, rangeHdr, size, range, status, statusOr)) {
      return *answered;
    }
  }
  return sendRange(ex, std::move(fd), range, status);
}

}  // namespace gatehouse::handlers
