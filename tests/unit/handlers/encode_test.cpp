#include "handlers/encode.h"

#include <zlib.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "handlers/compressor_shelf.h"
#include "handlers/encode_body.h"
#include "provision/provision_error.h"

using gatehouse::config::Handler;
using gatehouse::config::Json;
using gatehouse::handlers::acceptedEncodings;
using gatehouse::handlers::Compressor;
using gatehouse::handlers::EncodedBody;
using gatehouse::handlers::makeEncode;
using gatehouse::handlers::makeGzipCompressor;
using gatehouse::handlers::makeZstdCompressor;
using gatehouse::provision::ProvisionError;
using gatehouse::runtime::BodySink;
using gatehouse::runtime::BodySource;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;
using gatehouse::runtime::Response;

namespace {

std::string gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[4096];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      break;  // a flushed but unfinished stream: everything so far is out
    }
  }
  inflateEnd(&z);
  return out;
}

std::string unzstd(const std::string& in) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string out;
  bool full = false;  // the last call filled the buffer: more output may be waiting
  while (input.pos < input.size || full) {
    char buf[4096];
    ZSTD_outBuffer output{buf, sizeof(buf), 0};
    size_t rc = ZSTD_decompressStream(d, &output, &input);
    REQUIRE(ZSTD_isError(rc) == 0U);
    out.append(buf, output.pos);
    full = output.pos == sizeof(buf);
  }
  ZSTD_freeDCtx(d);
  return out;
}

std::unique_ptr<gatehouse::runtime::Handler> encoder(Json fields) {
  Handler h;
  h.name = "encode";
  h.fields = std::move(fields);
  return makeEncode(h, "handle[0]");
}

Json gzipAndZstd() {
  return Json::parse(R"({"encodings":{"gzip":{},"zstd":{}},"prefer":["zstd","gzip"]})");
}

// Runs the handler, lets a "next handler" answer, then applies the stages as the session does.
void serve(const gatehouse::runtime::Handler& h, Exchange& ex, int status, const std::string& type,
           std::string body) {
  REQUIRE(h.handle(ex) == Outcome::Continue);
  ex.response.status = status;
  if (!type.empty()) {
    ex.response.headers.set("Content-Type", type);
  }
  ex.response.body = std::move(body);
  for (auto it = ex.stages.rbegin(); it != ex.stages.rend(); ++it) {
    (*it)->onHead(ex);
  }
}

const std::string kText = [] {
  std::string s;
  for (int i = 0; i < 200; ++i) {
    s += "line " + std::to_string(i) + " of some compressible text\n";
  }
  return s;
}();

// A source the test drives by hand: pull() only records the sink.
class ManualSource final : public BodySource {
 public:
  BodySink* sink = nullptr;
  int pulls = 0;
  void pull(uv_loop_t* /*loop*/, BodySink& s) override {
    sink = &s;
    ++pulls;
  }
};

class CollectSink final : public BodySink {
 public:
  std::vector<std::string> pieces;
  bool eof = false;
  int error = 0;
  void onBodyData(std::string_view data, bool end) override {
    pieces.emplace_back(data);
    eof = end;
  }
  void onBodyError(int e) override { error = e; }
  [[nodiscard]] std::string all() const {
    std::string s;
    for (const auto& p : pieces) {
      s += p;
    }
    return s;
  }
};

}  // namespace

TEST_CASE("encode: Accept-Encoding q-values and prefer order") {
  const std::vector<std::string> prefer{"zstd", "gzip"};
  CHECK(acceptedEncodings("gzip, zstd", false, prefer) == std::vector<std::string>{"zstd", "gzip"});
  CHECK(acceptedEncodings("gzip, zstd", false, {}) == std::vector<std::string>{"gzip", "zstd"});
  CHECK(acceptedEncodings("zstd;q=0.5, gzip", false, prefer) == std::vector<std::string>{"gzip", "zstd"});
  CHECK(acceptedEncodings("GZIP;q=0, zstd", false, prefer) == std::vector<std::string>{"zstd"});
  CHECK(acceptedEncodings("gzip;q=2, br;q=0.9", false, prefer) == std::vector<std::string>{"gzip", "br"});
  CHECK(acceptedEncodings("gzip, identity", true, prefer) == std::vector<std::string>{"identity"});
  CHECK(acceptedEncodings("", false, prefer).empty());
}

TEST_CASE("encode: a text body above minimum_length is compressed with the preferred coding") {
  auto h = encoder(gzipAndZstd());
  SECTION("zstd preferred on a tie") {
    Exchange ex;
    ex.request.method = "GET";
    ex.request.headers.add("Accept-Encoding", "gzip, zstd");
    serve(*h, ex, 200, "text/plain; charset=utf-8", kText);
    CHECK(ex.response.headers.get("Content-Encoding") == "zstd");
    CHECK(ex.response.headers.get("Vary") == "Accept-Encoding");
    CHECK(unzstd(ex.response.body) == kText);
  }
  SECTION("the client's q-values win over prefer") {
    Exchange ex;
    ex.request.method = "GET";
    ex.request.headers.add("Accept-Encoding", "gzip, zstd;q=0.5");
    ex.response.headers.set("Content-Length", std::to_string(kText.size()));
    ex.response.headers.set("Accept-Ranges", "bytes");
    ex.response.headers.set("Etag", "\"abc\"");
    serve(*h, ex, 200, "application/json", kText);
    CHECK(ex.response.headers.get("Content-Encoding") == "gzip");
    CHECK_FALSE(ex.response.headers.has("Content-Length"));
    CHECK_FALSE(ex.response.headers.has("Accept-Ranges"));
    CHECK(ex.response.headers.get("Etag") == "\"abc-gzip\"");
    CHECK(gunzip(ex.response.body) == kText);
  }
}

TEST_CASE("encode: responses left alone") {
  auto h = encoder(gzipAndZstd());
  auto fresh = [] {
    auto ex = std::make_unique<Exchange>();
    ex->request.method = "GET";
    ex->request.headers.add("Accept-Encoding", "gzip");
    return ex;
  };
  SECTION("short bodies") {
    auto ex = fresh();
    serve(*h, *ex, 200, "text/html", std::string(512, 'a'));
    CHECK_FALSE(ex->response.headers.has("Content-Encoding"));
    CHECK_FALSE(ex->response.headers.has("Vary"));
  }
  SECTION("types outside the default matcher") {
    auto ex = fresh();
    serve(*h, *ex, 200, "image/png", kText);
    CHECK_FALSE(ex->response.headers.has("Content-Encoding"));
  }
  SECTION("already encoded") {
    auto ex = fresh();
    ex->response.headers.set("Content-Encoding", "br");
    serve(*h, *ex, 200, "text/plain", kText);
    CHECK(ex->response.headers.get("Content-Encoding") == "br");
    CHECK(ex->response.body == kText);
  }
  SECTION("HEAD and 204") {
    // caddy 2.6.2: a HEAD whose handler wrote a body (respond) is encoded on that write (Go
    // discards the body and counts the compressed bytes); one with only a Content-Length
    // (file_server) when that is over minimum_length.
    auto ex = fresh();
    ex->request.method = "HEAD";
    serve(*h, *ex, 200, "text/plain", kText);
    CHECK(ex->response.headers.get("Content-Encoding") == "gzip");
    CHECK(ex->response.body.size() < kText.size());
    auto lengthOnly = fresh();
    lengthOnly->request.method = "HEAD";
    lengthOnly->response.headers.set("Content-Length", "600");
    serve(*h, *lengthOnly, 200, "text/plain", "");
    CHECK(lengthOnly->response.headers.get("Content-Encoding") == "gzip");
    CHECK_FALSE(lengthOnly->response.headers.has("Content-Length"));
    auto shortLength = fresh();
    shortLength->request.method = "HEAD";
    shortLength->response.headers.set("Content-Length", "100");
    serve(*h, *shortLength, 200, "text/plain", "");
    CHECK_FALSE(shortLength->response.headers.has("Content-Encoding"));
    // A 204 whose handler wrote a body (`respond "..." 204`): 2.6.2's encoder decided on
    // that write, though Go sends no body.
    auto ex2 = fresh();
    serve(*h, *ex2, 204, "text/plain", kText);
    CHECK(ex2->response.headers.get("Content-Encoding") == "gzip");
  }
  SECTION("304 gets Vary only") {
    auto ex = fresh();
    serve(*h, *ex, 304, "", "");
    CHECK(ex->response.headers.get("Vary") == "Accept-Encoding");
    CHECK_FALSE(ex->response.headers.has("Content-Encoding"));
  }
  SECTION("a 204 or 304 that kept its 200's Content-Length gets the encoded head (2.6.2)") {
    for (int status : {204, 304}) {
      auto ex = fresh();
      ex->response.headers.set("Content-Length", "600");
      serve(*h, *ex, status, "text/plain", "");
      CHECK(ex->response.headers.get("Content-Encoding") == "gzip");
      CHECK(ex->response.headers.get("Vary") == "Accept-Encoding");
      CHECK(ex->response.body.empty());
      auto image = fresh();
      image->response.headers.set("Content-Length", "600");
      serve(*h, *image, status, "image/png", "");
      CHECK_FALSE(image->response.headers.has("Content-Encoding"));
    }
  }
  SECTION("ranges") {
    auto ex = fresh();
    ex->response.headers.set("Content-Range", "bytes 0-9999/20000");
    serve(*h, *ex, 206, "text/plain", kText);
    CHECK_FALSE(ex->response.headers.has("Content-Encoding"));
    // a 416's Content-Range names no part: its error body is compressed as Caddy does
    // (file_fuzz seed 4: file_server's "invalid range" under encode minimum_length 20)
    auto unsatisfied = fresh();
    unsatisfied->response.headers.set("Content-Range", "bytes */20000");
    serve(*h, *unsatisfied, 416, "text/plain", kText);
    CHECK(unsatisfied->response.headers.get("Content-Encoding") == "gzip");
    // a forced status over a part (file_server `status 404` with a Range) stays as it is
    auto forced = fresh();
    forced->response.headers.set("Content-Range", "bytes 0-9999/20000");
    serve(*h, *forced, 404, "text/plain", kText);
    CHECK_FALSE(forced->response.headers.has("Content-Encoding"));
  }
  SECTION("no-transform, on the request or the response") {
    auto ex = fresh();
    ex->request.headers.add("Cache-Control", "no-transform");
    serve(*h, *ex, 200, "text/plain", kText);
    CHECK(ex->stages.empty());
    auto ex2 = fresh();
    ex2->response.headers.set("Cache-Control", "public, no-transform");
    serve(*h, *ex2, 200, "text/plain", kText);
    CHECK_FALSE(ex2->response.headers.has("Content-Encoding"));
  }
  SECTION("a coding the handler does not offer") {
    Exchange ex;
    ex.request.method = "GET";
    ex.request.headers.add("Accept-Encoding", "br");
    serve(*h, ex, 200, "text/plain", kText);
    CHECK(ex.stages.empty());
  }
}

TEST_CASE("encode: If-None-Match loses our ETag suffix before inner handlers see it") {
  auto h = encoder(gzipAndZstd());
  Exchange ex;
  ex.request.method = "GET";
  ex.request.headers.add("Accept-Encoding", "gzip");
  ex.request.headers.add("If-None-Match", "\"abc-gzip\"");
  REQUIRE(h->handle(ex) == Outcome::Continue);
  CHECK(ex.request.headers.get("If-None-Match") == "\"abc\"");
}

TEST_CASE("encode: minimum_length, gzip level and a custom matcher") {
  auto h = encoder(Json::parse(
      R"({"encodings":{"gzip":{"level":9}},"minimum_length":10,"match":{"headers":{"Content-Type":["image/*"]}}})"));
  Exchange ex;
  ex.request.method = "GET";
  ex.request.headers.add("Accept-Encoding", "gzip");
  serve(*h, ex, 200, "image/bmp", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(ex.response.headers.get("Content-Encoding") == "gzip");
  CHECK(gunzip(ex.response.body) == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST_CASE("encode: Go's negative gzip levels (default, Huffman only, stateless) compress") {
  const std::string text(2000, 'q');
  for (int level : {-1, -2, -3}) {
    auto h = encoder(Json{{"encodings", {{"gzip", {{"level", level}}}}}});
    Exchange ex;
    ex.request.method = "GET";
    ex.request.headers.add("Accept-Encoding", "gzip");
    serve(*h, ex, 200, "text/plain", text);
    CHECK(ex.response.headers.get("Content-Encoding") == "gzip");
    CHECK(gunzip(ex.response.body) == text);
  }
}

TEST_CASE("encode: config errors name their path") {
  auto fails = [](const char* json, const char* text) {
    try {
      encoder(Json::parse(json));
      FAIL("accepted " << json);
    } catch (const ProvisionError& e) {
      CHECK_THAT(e.what(), Catch::Contains(text));
    }
  };
  fails(R"({"encodings":{"br":{}}})", "not supported");
  fails(R"({"encodings":{"gzip":{"level":10}}})", "quality too high");
  fails(R"({"encodings":{"gzip":{"level":-4}}})", "quality too low; must be >= -3");
  fails(R"({"encodings":{"zstd":{"level":"ultra"}}})", "unexpected compression level");
  fails(R"({"encodings":{"gzip":{}},"prefer":["zstd"]})", "encoding zstd not enabled");
  fails(R"({"encodings":{"gzip":{}},"prefer":["gzip","gzip"]})", "duplicated in prefer");
  fails(R"({"encodings":{"gzip":{}},"bogus":1})", "bogus");
  CHECK(encoder(Json::parse(R"({"encodings":{"zstd":{"checksum":false}}})")) != nullptr);
}

TEST_CASE("encode: streamed bodies are compressed piece by piece with an unknown length") {
  auto h = encoder(gzipAndZstd());
  Exchange ex;
  ex.request.method = "GET";
  ex.request.headers.add("Accept-Encoding", "gzip");
  REQUIRE(h->handle(ex) == Outcome::Continue);
  ex.response.status = 200;
  ex.response.headers.set("Content-Type", "text/css");
  auto src = std::make_unique<ManualSource>();
  ManualSource* inner = src.get();
  ex.response.stream = std::move(src);
  ex.response.streamLength = kText.size() * 3;
  for (const auto* s : ex.stages) {
    s->onHead(ex);
  }
  CHECK(ex.response.headers.get("Content-Encoding") == "gzip");
  CHECK(ex.response.streamLength == Response::kUnknownLength);
  CollectSink sink;
  ex.response.stream->pull(nullptr, sink);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(inner->sink != nullptr);
    BodySink* s = inner->sink;
    inner->sink = nullptr;
    s->onBodyData(kText, i == 2);
    if (i < 2 && inner->sink == nullptr) {
      ex.response.stream->pull(nullptr, sink);  // a piece came out; the session pulls again
    }
  }
  CHECK(sink.eof);
  CHECK(gunzip(sink.all()) == kText + kText + kText);
}

TEST_CASE("encode: text/event-stream is flushed per piece and skips minimum_length") {
  for (const char* coding : {"gzip", "zstd"}) {
    auto h = encoder(gzipAndZstd());
    Exchange ex;
    ex.request.method = "GET";
    ex.request.headers.add("Accept-Encoding", coding);
    REQUIRE(h->handle(ex) == Outcome::Continue);
    ex.response.status = 200;
    ex.response.headers.set("Content-Type", "text/event-stream");
    auto src = std::make_unique<ManualSource>();
    ManualSource* inner = src.get();
    ex.response.stream = std::move(src);
    ex.response.streamLength = Response::kUnknownLength;
    ex.stages.back()->onHead(ex);
    REQUIRE(ex.response.headers.get("Content-Encoding") == coding);
    CollectSink sink;
    ex.response.stream->pull(nullptr, sink);
    inner->sink->onBodyData("data: one\n\n", false);
    REQUIRE(sink.pieces.size() == 1);
    const std::string first = sink.pieces[0];
    if (std::string(coding) == "gzip") {
      CHECK(gunzip(first) == "data: one\n\n");
    } else {
      CHECK(unzstd(first) == "data: one\n\n");
    }
  }
}

TEST_CASE("encode: compressors round-trip across modes") {
  for (int level : {1, 5, 9}) {
    auto c = makeGzipCompressor(level);
    std::string out;
    REQUIRE(c->compress(kText, Compressor::Mode::Continue, out));
    REQUIRE(c->compress(kText, Compressor::Mode::Flush, out));
    REQUIRE(c->compress("", Compressor::Mode::Finish, out));
    CHECK(gunzip(out) == kText + kText);
  }
  auto z = makeZstdCompressor(3);
  std::string out;
  REQUIRE(z->compress("", Compressor::Mode::Finish, out));
  CHECK_FALSE(out.empty());  // an empty frame, as Caddy's WithZeroFrames
  CHECK(unzstd(out).empty());
}

// The codecs get output room sized by their input (not a fixed 16/128 KiB), so incompressible
// pieces larger than that room and runs of small flushed events must still come out whole.
TEST_CASE("encode: compressors loop until small output room drained") {
  std::string noise(200 * 1024, '\0');
  uint32_t x = 12345;
  for (auto& ch : noise) {
    x = x * 1103515245U + 12345U;
    ch = static_cast<char>(x >> 24);
  }
  std::string events;
  for (int i = 0; i < 300; ++i) {
    events += "data: {\"choices\":[{\"delta\":{\"content\":\"tok" + std::to_string(i) + "\"}}]}\n\n";
  }
  for (const auto mode : {Compressor::Mode::Continue, Compressor::Mode::Flush}) {
    auto g = makeGzipCompressor(5);
    auto z = makeZstdCompressor(3);
    std::string gz;
    std::string zs;
    REQUIRE(g->compress(noise, mode, gz));
    REQUIRE(z->compress(noise, mode, zs));
    for (size_t at = 0; at < events.size(); at += 73) {
      const std::string_view piece = std::string_view(events).substr(at, 73);
      REQUIRE(g->compress(piece, Compressor::Mode::Flush, gz));
      REQUIRE(z->compress(piece, Compressor::Mode::Flush, zs));
    }
    REQUIRE(g->compress("", Compressor::Mode::Finish, gz));
    REQUIRE(z->compress("", Compressor::Mode::Finish, zs));
    CHECK(gunzip(gz) == noise + events);
    CHECK(unzstd(zs) == noise + events);
  }
}

TEST_CASE("encode: a shelf lends compressors and takes them back reset, keeping a few") {
  using gatehouse::handlers::CompressorShelf;
  auto shelf = std::make_shared<CompressorShelf>(2);
  int made = 0;
  auto zstd = [&] {
    ++made;
    return makeZstdCompressor(3);
  };
  auto gzip = [&] {
    ++made;
    return makeGzipCompressor(5);
  };
  std::string out;
  {
    // Left in the middle of a stream (a client that went away): the next one starts clean.
    auto c = shelf->take(0, zstd);
    REQUIRE(c->compress(std::string(5000, 'a'), Compressor::Mode::Continue, out));
    auto g = shelf->take(1, gzip);
    REQUIRE(g->compress(std::string(5000, 'b'), Compressor::Mode::Flush, out));
  }
  std::string z;
  std::string g;
  {
    auto c = shelf->take(0, zstd);
    REQUIRE(c->compress("second body", Compressor::Mode::Finish, z));
    auto gz = shelf->take(1, gzip);
    REQUIRE(gz->compress("second body", Compressor::Mode::Finish, g));
  }
  CHECK(made == 2);
  CHECK(unzstd(z) == "second body");
  CHECK(gunzip(g) == "second body");
  // Beyond its keep, what comes back is freed; the rest is reused.
  {
    std::vector<std::unique_ptr<Compressor>> lent;
    for (size_t i = 0; i < CompressorShelf::kKeepPerEncoding + 3; ++i) {
      lent.push_back(shelf->take(0, zstd));
    }
  }
  made = 0;
  {
    std::vector<std::unique_ptr<Compressor>> lent;
    for (size_t i = 0; i < CompressorShelf::kKeepPerEncoding + 1; ++i) {
      lent.push_back(shelf->take(0, zstd));
    }
  }
  CHECK(made == 1);
  // A compressor that outlives its shelf (a reload dropped the handler) is simply freed.
  auto orphan = shelf->take(0, zstd);
  shelf.reset();
  std::string last;
  REQUIRE(orphan->compress("x", Compressor::Mode::Finish, last));
  CHECK(unzstd(last) == "x");
}
