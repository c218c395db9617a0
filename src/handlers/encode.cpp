// encode: response compression (Caddyfile `encode`). See encode.h.
//
// Caddy decides at the first body write. Here the stage decides at head time when the whole
// body or the stream's length is known, which gives the same answers; a stream of unknown
// length (a proxied chunked body), or one with no Content-Type to match on, holds the head
// for its first piece and is decided on that (decidesOnFirstPiece). The rules:
//   - no Accept-Encoding match, or Cache-Control: no-transform on the request: untouched;
//   - 304: `Vary: Accept-Encoding` is added (RFC 9110 15.4.5, Caddy #5849);
//   - HEAD, 204 and 304: the encoded head when Content-Length is over minimum_length
//     (encodeHeadOnly);
//   - 206/Content-Range (not a 416's `*/N`), an existing Content-Encoding, Cache-Control:
//     no-transform on the response: not encoded, but a missing Content-Type is still sniffed
//     when the body is over minimum_length (sniffUnencoded);
//   - bodies (or first pieces) of minimum_length bytes or fewer (default 512): untouched,
//     with no Vary added, except text/event-stream and proxy flush_interval -1 streams,
//     whose head must not wait for body bytes (compressed and flushed piece by piece);
//   - the response matcher (default: Caddy's list of text-like content types) must match.
// A compressed response loses Content-Length and Accept-Ranges, gains Content-Encoding and
// Vary, and a strong ETag gets "-<encoding>" before its closing quote.

#include "handlers/encode.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "handlers/compressor_shelf.h"
#include "handlers/encode_body.h"
#include "handlers/handlers.h"
#include "handlers/writer_wrap.h"
#include "http/content_type.h"
#include "http/go_body_buffer.h"
#include "provision/provision_error.h"
#include "proxy/response_matcher.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using proxy::ResponseMatcher;
using runtime::Exchange;
using runtime::HeaderList;
using runtime::Outcome;

namespace {

constexpr int kDefaultMinLength = 512;
constexpr int kDefaultGzipLevel = 5;  // Caddy's defaultGzipLevel
constexpr int kStatelessGzipLevel = -3;

// Caddy's default response matcher: common text-based content types.
constexpr const char* kDefaultContentTypes[] = {
    "application/atom+xml*",
    "application/eot*",
    "application/font*",
    "application/geo+json*",
    "application/graphql+json*",
    "application/javascript*",
    "application/json*",
    "application/ld+json*",
    "application/manifest+json*",
    "application/opentype*",
    "application/otf*",
    "application/rss+xml*",
    "application/truetype*",
    "application/ttf*",
    "application/vnd.api+json*",
    "application/vnd.ms-fontobject*",
    "application/wasm*",
    "application/x-httpd-cgi*",
    "application/x-javascript*",
    "application/x-opentype*",
    "application/x-otf*",
    "application/x-perl*",
    "application/x-protobuf*",
    "application/x-ttf*",
    "application/xhtml+xml*",
    "application/xml*",
    "font/ttf*",
    "font/otf*",
    "image/svg+xml*",
    "image/vnd.microsoft.icon*",
    "image/x-icon*",
    "multipart/bag*",
    "multipart/mixed*",
    "text/*",
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool hasVaryValue(const HeaderList& hdr, std::string_view target) {
  for (const auto& f : hdr) {
    if (!runtime::equalsIgnoreCase(f.name, "Vary")) {
      continue;
    }
    std::string_view v = f.value;
    while (true) {
      size_t comma = v.find(',');
      if (runtime::equalsIgnoreCase(trim(v.substr(0, comma)), target)) {
        return true;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      v.remove_prefix(comma + 1);
    }
  }
  return false;
}

// Caddy's isEncodeAllowed.
bool encodeAllowed(const HeaderList& hdr) {
  return hdr.get("Cache-Control").find("no-transform") == std::string_view::npos;
}

// A Content-Range field that names bytes sent (`bytes 0-3/70`), not only the length of
// the representation (`bytes */70`, a 416's).
bool namesRange(std::string_view contentRange) {
  return !contentRange.empty() && contentRange.find("*/") == std::string_view::npos;
}

bool bodyAllowed(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

struct Encoding {
  std::string name;      // "gzip" | "zstd": the Content-Encoding value
  int level = 0;         // codec level
  bool checksum = true;  // zstd frame checksum (Caddyfile `disable_checksum` turns it off)

  [[nodiscard]] std::unique_ptr<Compressor> compressor() const {
    return name == "gzip" ? makeGzipCompressor(level) : makeZstdCompressor(level, checksum);
  }
};

class Encode final : public runtime::Handler, public runtime::OutputStage, public HidesReadFrom {
 public:
  Encode(std::vector<Encoding> encodings, std::vector<std::string> prefer, long long minLength,
         ResponseMatcher matcher)
      : encodings_(std::move(encodings)),
        prefer_(std::move(prefer)),
        minLength_(minLength),
        matcher_(std::move(matcher)) {}

  // Handler
  Outcome handle(Exchange& ex) const override {
    const Encoding* enc = select(ex);
    if (enc == nullptr) {
      return Outcome::Continue;
    }
    // Handlers behind us never saw our ETag suffix; strip it from If-None-Match so they
    // can still answer 304 (Caddy does the same).
    auto& reqHdr = ex.request.headers;
    std::string_view inm = reqHdr.get("If-None-Match");
    if (!inm.empty() && !inm.starts_with("W/")) {
      const std::string suffix = "-" + enc->name + "\"";
      if (inm.ends_with(suffix)) {
        std::string stripped(inm.substr(0, inm.size() - suffix.size()));
        stripped += '"';
        reqHdr.set("If-None-Match", stripped);
      }
    }
    ex.stages.push_back(this);
    return Outcome::Continue;
  }

  // OutputStage
  void onHead(Exchange& ex) const override {
    const Encoding* enc = select(ex);
    if (enc == nullptr) {
      return;
    }
    auto& res = ex.response;
    auto& hdr = res.headers;
    if (res.abort || res.status < 200) {
      return;
    }
    // A 204/304 or a HEAD answer has no body to write: Caddy's encoder, closed unwritten,
    // decides on Content-Length alone (a proxied 304 that kept its 200's length is marked
    // encoded, as 2.6.2 does).
    if (ex.request.method == "HEAD" || !bodyAllowed(res.status)) {
      encodeHeadOnly(res, *enc);
      if (res.status == 304 && !hasVaryValue(hdr, "Accept-Encoding")) {
        hdr.add("Vary", "Accept-Encoding");  // newer Caddy (#5849, RFC 9110 15.4.5)
      }
      return;
    }
    // A partial representation cannot be re-encoded as a whole one. A 416's
    // `Content-Range: bytes */N` names no part (its body is an error message, which Caddy
    // compresses like any other).
    if (res.status == 206 || namesRange(hdr.get("Content-Range")) || !hdr.get("Content-Encoding").empty() ||
        !encodeAllowed(hdr)) {
      sniffUnencoded(ex);
      return;
    }
    const bool hasStream = res.stream != nullptr;
    const uint64_t length = hasStream ? res.streamLength : res.body.size();
    const bool eventStream = hdr.get("Content-Type").starts_with("text/event-stream");
    if (hasStream && decidesOnFirstPiece(res, minLength_)) {
      deferToFirstPiece(ex, *enc);
      return;
    }
    if (length == 0 && !(hasStream && res.streamLength == runtime::Response::kUnknownLength)) {
      // Nothing written: Caddy's encoder, closed unwritten, decides on a Content-Length
      // field alone (one a `header` op set) and then writes an empty encoded stream.
      encodeEmpty(res, *enc);
      return;
    }
    if (!eventStream && !longerThanMinimum(length, hdr)) {
      return;
    }
    if (!hdr.has("Content-Type") && !hasStream) {
      hdr.set("Content-Type", http::sniffContentType(res.body));
    }
    if (!matcher_.matches(res.status, hdr)) {
      return;
    }
    std::string compressed;
    if (!hasStream && !compressorFor(ex, *enc)->compress(res.body, Compressor::Mode::Finish, compressed)) {
      return;  // a codec failure (out of memory): the identity body is still correct
    }
    markEncoded(hdr, *enc);
    if (hasStream) {
      // A stream of unknown length (a proxied SSE response) is flushed through the
      // compressor piece by piece, so nothing it sends is held back waiting for more.
      const bool flushEachPiece = eventStream || flushedByProducer(res) || res.headAtOnce;
      auto body =
          std::make_unique<EncodedBody>(std::move(res.stream), compressorFor(ex, *enc), flushEachPiece);
      res.streamLength = runtime::Response::kUnknownLength;
      if (!flushEachPiece && !res.headAtOnce) {
        // Nothing flushes this body (a proxied one of known length, a file): Go's server
        // holds its head until the encoded output passes its buffer, and gives a body
        // that ended within it a Content-Length (as when the upstream's whole body came
        // with its head).
        holdLikeGo(*body, ex);
        res.headWaits = true;
      }
      res.stream = std::move(body);
    } else {
      res.body = std::move(compressed);
    }
  }

 private:
  // The head waits for the body's first piece; the decision is made on it (below).
  void deferToFirstPiece(Exchange& ex, const Encoding& enc) const {
    auto& res = ex.response;
    const bool flushEachPiece = flushedByProducer(res);
    auto decide = [this, &ex, &enc](std::string_view first) { return decideOnFirstPiece(ex, enc, first); };
    auto body = std::make_unique<EncodedBody>(std::move(res.stream), std::move(decide), flushEachPiece);
    if (!flushEachPiece && !res.headAtOnce) {
      holdLikeGo(*body, ex);  // a known length (no type to go by): nothing flushes it either
    } else if (!res.headAtOnce) {
      body->lengthWhenEmpty(&res.streamLength);  // (Caddy flushes after each write, of which none came)
    }
    res.stream = std::move(body);
    res.headWaits = true;
  }

  // Caddy's first Write sniffs a missing Content-Type when the write or Content-Length is
  // over minimum_length before it asks whether to encode at all, so a body that stays as it
  // is (a typeless file's precompressed sidecar, a part of a typeless file) still gets the
  // sniffed type. (A stream of unknown length is left alone: its first piece decides in
  // Caddy, and such a body with no type and a coding of its own is not worth holding.)
  void sniffUnencoded(Exchange& ex) const {
    auto& res = ex.response;
    auto& hdr = res.headers;
    if (hdr.has("Content-Type")) {
      return;
    }
    if (res.stream == nullptr) {
      if (!res.body.empty() && longerThanMinimum(res.body.size(), hdr)) {
        hdr.set("Content-Type", http::sniffContentType(res.body));
      }
      return;
    }
    if (res.headAtOnce || res.streamLength == runtime::Response::kUnknownLength ||
        !longerThanMinimum(res.streamLength, hdr)) {
      return;
    }
    auto sniff = [&ex](std::string_view first) -> std::unique_ptr<Compressor> {
      if (!first.empty() && !ex.response.headers.has("Content-Type")) {
        ex.response.headers.set("Content-Type", http::sniffContentType(first));
      }
      return nullptr;  // identity: the stream and its length go on as they are
    };
    res.stream = std::make_unique<EncodedBody>(std::move(res.stream), std::move(sniff), false);
    res.headWaits = true;
  }

  // A stream of unknown length that its producer flushes as it goes (a proxied chunked
  // body: Caddy's flushInterval -1); a FastCGI one is not flushed (res.sniff stays true).
  static bool flushedByProducer(const runtime::Response& res) {
    return res.streamLength == runtime::Response::kUnknownLength && !res.sniff;
  }

  // Go's response buffer for a body nothing flushes (see EncodedBody::holdLikeGo).
  static void holdLikeGo(EncodedBody& body, Exchange& ex) {
    body.holdLikeGo(ex.request.versionMajor == 2 ? http::kGoHttp2BodyBuffer : http::kGoHttp1BodyBuffer,
                    &ex.response.streamLength);
  }

  // Caddy's first Write: a missing Content-Type is sniffed from the piece (Go's server
  // would sniff the same bytes for an identity body, its head not being out yet), then the
  // body is compressed when the piece or Content-Length is over minimum_length and the
  // response matcher agrees. Identity adds no Vary, as in Caddy 2.6.2.
  std::unique_ptr<Compressor> decideOnFirstPiece(Exchange& ex, const Encoding& enc,
                                                 std::string_view first) const {
    auto& res = ex.response;
    auto& hdr = res.headers;
    if (!first.empty() && !hdr.has("Content-Type")) {
      hdr.set("Content-Type", http::sniffContentType(first));
    }
    if (!longerThanMinimum(first.size(), hdr) || !matcher_.matches(res.status, hdr)) {
      return nullptr;
    }
    markEncoded(hdr, enc);
    res.streamLength = runtime::Response::kUnknownLength;
    return compressorFor(ex, enc);
  }

  // A compressor for `enc`: from this worker's shelf, when the exchange runs on one.
  std::unique_ptr<Compressor> compressorFor(Exchange& ex, const Encoding& enc) const {
    if (ex.host == nullptr) {
      return enc.compressor();
    }
    auto& local = ex.host->worker().get<CompressorShelfLocal>(
        life_, [&] { return std::make_unique<CompressorShelfLocal>(encodings_.size()); });
    return local.shelf->take(static_cast<size_t>(&enc - encodings_.data()), [&] { return enc.compressor(); });
  }

  // Caddy's encoder, closed with nothing written (HEAD): a Content-Length over
  // minimum_length gives the head of an encoded response all the same (no Content-Type is
  // sniffed, there being no body; nor is a 206 exempt, unlike a body write).
  void encodeHeadOnly(runtime::Response& res, const Encoding& enc) const {
    auto& hdr = res.headers;
    if (!res.stream && !res.body.empty()) {
      // The handler wrote a body (`respond`), which Go discards for HEAD: Caddy's encoder
      // decided on that write, and Go's Content-Length counts the compressed bytes.
      if (!hdr.has("Content-Type")) {
        hdr.set("Content-Type", http::sniffContentType(res.body));
      }
      std::string compressed;
      if (!hdr.get("Content-Encoding").empty() || !encodeAllowed(hdr) ||
          !longerThanMinimum(res.body.size(), hdr) || !matcher_.matches(res.status, hdr) ||
          !enc.compressor()->compress(res.body, Compressor::Mode::Finish, compressed)) {
        return;
      }
      markEncoded(hdr, enc);
      res.body = std::move(compressed);
      return;
    }
    uint64_t length = 0;
    const std::string_view cl = hdr.get("Content-Length");
    if (cl.empty() || std::from_chars(cl.data(), cl.data() + cl.size(), length).ec != std::errc() ||
        !hdr.get("Content-Encoding").empty() || !encodeAllowed(hdr) || !longerThanMinimum(length, hdr) ||
        !matcher_.matches(res.status, hdr)) {
      return;
    }
    markEncoded(hdr, enc);
    res.body.clear();
    res.stream.reset();
    res.streamLength = 0;
  }

  // An empty body whose Content-Length field says it is over minimum_length: encoded as
  // Caddy's encoder closes it (the codec's empty stream), rather than sent with a length
  // no body follows.
  void encodeEmpty(runtime::Response& res, const Encoding& enc) const {
    auto& hdr = res.headers;
    std::string compressed;
    if (res.stream || !hdr.get("Content-Encoding").empty() || !encodeAllowed(hdr) ||
        !firstWriteOverMinimum(0, hdr.get("Content-Length"), minLength_) ||
        !matcher_.matches(res.status, hdr) ||
        !enc.compressor()->compress({}, Compressor::Mode::Finish, compressed)) {
      return;
    }
    markEncoded(hdr, enc);
    res.body = std::move(compressed);
  }

  // The head of a compressed response.
  static void markEncoded(HeaderList& hdr, const Encoding& enc) {
    hdr.remove("Content-Length");
    hdr.set("Content-Encoding", enc.name);
    if (!hasVaryValue(hdr, "Accept-Encoding")) {
      hdr.add("Vary", "Accept-Encoding");
    }
    hdr.remove("Accept-Ranges");
    std::string_view etag = hdr.get("Etag");
    if (!etag.empty() && !etag.starts_with("W/")) {
      std::string tagged(etag);
      if (tagged.ends_with('"')) {
        tagged.pop_back();
      }
      tagged += "-" + enc.name + "\"";
      hdr.set("Etag", tagged);
    }
  }

  // Caddy: the first write is longer than minimum_length, or Content-Length says so.
  [[nodiscard]] bool longerThanMinimum(uint64_t length, const HeaderList& hdr) const {
    return firstWriteOverMinimum(length, hdr.get("Content-Length"), minLength_);
  }

  // The first configured encoding the client accepts, in preference order.
  [[nodiscard]] const Encoding* select(const Exchange& ex) const {
    const auto& hdr = ex.request.headers;
    if (!encodeAllowed(hdr)) {
      return nullptr;
    }
    std::string_view ae = hdr.get("Accept-Encoding");
    if (ae.empty()) {
      return nullptr;
    }
    for (const auto& name : acceptedEncodings(ae, hdr.has("Sec-WebSocket-Key"), prefer_)) {
      for (const auto& e : encodings_) {
        if (e.name == name) {
          return &e;
        }
      }
    }
    return nullptr;
  }

  std::vector<Encoding> encodings_;
  std::vector<std::string> prefer_;
  long long minLength_;
  ResponseMatcher matcher_;
  // Keys this handler's compressor shelves in the workers (a reload's new handler starts empty).
  std::shared_ptr<const void> life_ = std::make_shared<const char>('\0');
};
static_assert(std::derived_from<Encode, runtime::Handler>);

Encoding parseEncoding(const std::string& name, const config::Json& cfg, const std::string& path) {
  if (!cfg.is_object() && !cfg.is_null()) {
    throw ProvisionError(path, "expected an object");
  }
  const config::Json empty = config::Json::object();
  const config::Json& c = cfg.is_null() ? empty : cfg;
  for (const auto& [key, _] : c.items()) {
    if (key != "level" && !(name == "zstd" && key == "checksum")) {
      throw ProvisionError(path + "." + key, "unknown " + name + " encoder field '" + key + "'");
    }
  }
  if (name == "gzip") {
    int level = c.value("level", 0);
    if (level == 0) {
      level = kDefaultGzipLevel;
    }
    // Go's gzip levels below 0: -1 default, -2 Huffman only, -3 stateless (klauspost).
    if (level < kStatelessGzipLevel) {
      throw ProvisionError(path + ".level", "quality too low; must be >= -3");
    }
    if (level > 9) {
      throw ProvisionError(path + ".level", "quality too high; must be <= 9");
    }
    return Encoding{"gzip", level};
  }
  if (name == "zstd") {
    // klauspost/compress levels mapped to their libzstd equivalents.
    std::string level = c.value("level", std::string("default"));
    int z = 0;
    if (level == "fastest") {
      z = 1;
    } else if (level == "default" || level.empty()) {
      z = 3;
    } else if (level == "better") {
      z = 7;
    } else if (level == "best") {
      z = 11;
    } else {
      throw ProvisionError(path + ".level",
                           "unexpected compression level, use one of 'fastest', 'default', 'better', 'best'");
    }
    return Encoding{"zstd", z, c.value("checksum", true)};
  }
  throw ProvisionError(path, "encoder '" + name + "' is not supported yet");
}

}  // namespace

bool firstWriteOverMinimum(uint64_t firstWrite, std::string_view contentLength, long long minLength) {
  if (minLength < 0 || firstWrite > static_cast<uint64_t>(minLength)) {
    return true;
  }
  long long n = 0;
  auto [p, ec] = std::from_chars(contentLength.data(), contentLength.data() + contentLength.size(), n);
  return ec == std::errc() && p == contentLength.data() + contentLength.size() && n > minLength;
}

bool decidesOnFirstPiece(const runtime::Response& res, long long minLength) {
  const auto& hdr = res.headers;
  if (res.stream == nullptr || res.headAtOnce || hdr.get("Content-Type").starts_with("text/event-stream")) {
    return false;  // streamed events: the head goes out at once (better than Caddy, #6293)
  }
  if (res.streamLength == runtime::Response::kUnknownLength) {
    return true;
  }
  // A known length with no type: the type is sniffed from the first piece, as Caddy does,
  // when the length alone already says "compress".
  return !hdr.has("Content-Type") && firstWriteOverMinimum(res.streamLength, {}, minLength);
}

std::vector<std::string> acceptedEncodings(std::string_view acceptEncoding, bool websocket,
                                           const std::vector<std::string>& prefer) {
  struct Pref {
    std::string name;
    double q;
    int order;
  };
  std::vector<Pref> prefs;
  if (trim(acceptEncoding).empty()) {
    return {};
  }
  std::string_view rest = acceptEncoding;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    size_t semi = item.find(';');
    std::string name = lower(trim(item.substr(0, semi)));
    double q = 1.0;
    if (semi != std::string_view::npos) {
      std::string_view param = item.substr(semi + 1);
      param = param.substr(0, param.find(';'));
      std::string p = lower(trim(param));
      if (p.starts_with("q=")) {
        const char* begin = p.c_str() + 2;
        char* end = nullptr;
        double v = std::strtod(begin, &end);
        if (end != begin && *end == '\0' && std::isfinite(v) && v >= 0 && v <= 1) {
          q = v;
        }
      }
    }
    if (q >= 0.00001 && !(websocket && name != "identity")) {
      auto it = std::find(prefer.begin(), prefer.end(), name);
      int order = it == prefer.end() ? -1 : static_cast<int>(prefer.end() - it);
      prefs.push_back(Pref{std::move(name), q, order});
    }
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  std::stable_sort(prefs.begin(), prefs.end(), [](const Pref& a, const Pref& b) {
    if (std::abs(a.q - b.q) < 0.00001) {
      return a.order > b.order;
    }
    return a.q > b.q;
  });
  std::vector<std::string> out;
  out.reserve(prefs.size());
  for (auto& p : prefs) {
    out.push_back(std::move(p.name));
  }
  return out;
}

std::unique_ptr<runtime::Handler> makeEncode(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"encodings", "prefer", "minimum_length", "match"});
  const auto& f = h.fields;
  std::vector<Encoding> encodings;
  std::vector<std::string> prefer;
  long long minLength = 0;
  ResponseMatcher matcher;
  try {
    if (f.contains("encodings")) {
      const auto& e = f["encodings"];
      if (!e.is_object()) {
        throw ProvisionError(path + ".encodings", "expected an object");
      }
      for (const auto& [name, cfg] : e.items()) {
        encodings.push_back(parseEncoding(name, cfg, path + ".encodings." + name));
      }
    }
    if (f.contains("prefer")) {
      prefer = f["prefer"].get<std::vector<std::string>>();
      for (size_t i = 0; i < prefer.size(); ++i) {
        const auto& name = prefer[i];
        if (std::none_of(encodings.begin(), encodings.end(),
                         [&](const Encoding& e) { return e.name == name; })) {
          throw ProvisionError(path + ".prefer", "encoding " + name + " not enabled");
        }
        if (std::find(prefer.begin(), prefer.begin() + static_cast<long>(i), name) !=
            prefer.begin() + static_cast<long>(i)) {
          throw ProvisionError(path + ".prefer", "encoding " + name + " is duplicated in prefer");
        }
      }
    }
    minLength = f.value("minimum_length", 0LL);
    if (minLength == 0) {
      minLength = kDefaultMinLength;
    }
    if (f.contains("match")) {
      matcher = ResponseMatcher::parse(f["match"], path + ".match");
    } else {
      config::Json types = config::Json::array();
      for (const char* t : kDefaultContentTypes) {
        types.push_back(t);
      }
      matcher = ResponseMatcher::parse({{"headers", {{"Content-Type", std::move(types)}}}}, path);
    }
  } catch (const config::Json::exception& e) {
    throw ProvisionError(path, std::string("malformed encode config: ") + e.what());
  }
  return std::make_unique<Encode>(std::move(encodings), std::move(prefer), minLength, std::move(matcher));
}

}  // namespace gatehouse::handlers
