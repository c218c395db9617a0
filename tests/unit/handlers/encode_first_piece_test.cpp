// encode's first-piece decision (Caddy 2.6.2's first Write) for streams of unknown length.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "handlers/encode.h"

using gatehouse::config::Handler;
using gatehouse::config::Json;
using gatehouse::handlers::decidesOnFirstPiece;
using gatehouse::handlers::firstWriteOverMinimum;
using gatehouse::handlers::makeEncode;
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
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  }
  inflateEnd(&z);
  return out;
}

class ManualSource final : public BodySource {
 public:
  BodySink* sink = nullptr;
  void pull(uv_loop_t* /*loop*/, BodySink& s) override { sink = &s; }
  // Delivers a piece to whoever pulled last.
  void give(std::string_view data, bool eof) {
    REQUIRE(sink != nullptr);
    std::exchange(sink, nullptr)->onBodyData(data, eof);
  }
};

class CollectSink final : public BodySink {
 public:
  std::vector<std::string> pieces;
  bool eof = false;
  void onBodyData(std::string_view data, bool end) override {
    pieces.emplace_back(data);
    eof = end;
  }
  void onBodyError(int /*e*/) override {}
  [[nodiscard]] std::string all() const {
    std::string s;
    for (const auto& p : pieces) {
      s += p;
    }
    return s;
  }
};

// A gzip encode in front of a "proxied" stream of unknown length; the stages have run.
struct Fixture {
  std::unique_ptr<gatehouse::runtime::Handler> h;
  Exchange ex;
  ManualSource* inner = nullptr;
  CollectSink sink;

  explicit Fixture(const std::string& type, uint64_t length = Response::kUnknownLength) {
    Handler cfg;
    cfg.name = "encode";
    cfg.fields = Json::parse(R"({"encodings":{"gzip":{}}})");
    h = makeEncode(cfg, "handle[0]");
    ex.request.method = "GET";
    ex.request.headers.add("Accept-Encoding", "gzip");
    REQUIRE(h->handle(ex) == Outcome::Continue);
    ex.response.status = 200;
    if (!type.empty()) {
      ex.response.headers.set("Content-Type", type);
    }
    auto src = std::make_unique<ManualSource>();
    inner = src.get();
    ex.response.stream = std::move(src);
    ex.response.streamLength = length;
    // As reverse_proxy sets it: a body of unknown length is flushed as it comes (Caddy's
    // flushInterval -1); one of known length is not (Go's server buffers it).
    ex.response.sniff = length != Response::kUnknownLength;
    if (length != Response::kUnknownLength) {
      ex.response.headers.set("Content-Length", std::to_string(length));
    }
  }
  void head() { ex.stages.back()->onHead(ex); }
  void pull() { ex.response.stream->pull(nullptr, sink); }
  [[nodiscard]] std::string_view field(std::string_view name) const { return ex.response.headers.get(name); }
};

}  // namespace

TEST_CASE("encode first piece: Caddy's size rule") {
  CHECK_FALSE(firstWriteOverMinimum(17, "", 512));
  CHECK_FALSE(firstWriteOverMinimum(512, "", 512));  // exactly minimum_length: identity
  CHECK(firstWriteOverMinimum(513, "", 512));
  CHECK(firstWriteOverMinimum(17, "513", 512));  // Content-Length says so
  CHECK_FALSE(firstWriteOverMinimum(17, "512", 512));
  CHECK_FALSE(firstWriteOverMinimum(17, "x600", 512));
}

TEST_CASE("encode first piece: which responses wait for it") {
  Response res;
  res.stream = std::make_unique<ManualSource>();
  res.streamLength = Response::kUnknownLength;
  res.headers.set("Content-Type", "application/json");
  CHECK(decidesOnFirstPiece(res, 512));
  res.headAtOnce = true;  // reverse_proxy flush_interval -1
  CHECK_FALSE(decidesOnFirstPiece(res, 512));
  res.headAtOnce = false;
  res.headers.set("Content-Type", "text/event-stream; charset=utf-8");
  CHECK_FALSE(decidesOnFirstPiece(res, 512));
  res.headers.set("Content-Type", "text/plain");
  res.streamLength = 600;  // a known length with a type: decided at the head
  CHECK_FALSE(decidesOnFirstPiece(res, 512));
  res.headers.remove("Content-Type");  // ... but without one it is sniffed first
  CHECK(decidesOnFirstPiece(res, 512));
  res.streamLength = 100;  // too short whatever its type
  CHECK_FALSE(decidesOnFirstPiece(res, 512));
}

TEST_CASE("encode first piece: a short first piece leaves the body identity, without Vary") {
  Fixture f("application/json");
  f.head();
  CHECK(f.ex.response.headWaits);
  CHECK(f.field("Content-Encoding").empty());
  f.pull();
  f.inner->give(R"({"a": "bbbbbbbb"})", false);
  CHECK(f.field("Content-Encoding").empty());
  CHECK_FALSE(f.ex.response.headers.has("Vary"));
  CHECK(f.ex.response.streamLength == Response::kUnknownLength);
  f.pull();
  const std::string big(2000, 'y');
  f.inner->give(big, true);  // later pieces stay identity whatever their size
  CHECK(f.sink.eof);
  CHECK(f.sink.all() == std::string(R"({"a": "bbbbbbbb"})") + big);
}

TEST_CASE("encode first piece: a long first piece is compressed and flushed per piece") {
  Fixture f("application/json");
  f.head();
  f.pull();
  const std::string first(513, 'x');
  f.inner->give(first, false);
  CHECK(f.field("Content-Encoding") == "gzip");
  CHECK(f.field("Vary") == "Accept-Encoding");
  REQUIRE(f.sink.pieces.size() == 1);
  CHECK(gunzip(f.sink.pieces[0]) == first);  // flushed: decodable at once
  f.pull();
  f.inner->give("tail", true);
  CHECK(gunzip(f.sink.all()) == first + "tail");
}

TEST_CASE("encode first piece: a missing type is sniffed from it, then matched") {
  SECTION("html is compressed") {
    Fixture f("");
    f.head();
    f.pull();
    const std::string html = "<html>" + std::string(600, 'a');
    f.inner->give(html, true);
    CHECK(f.field("Content-Type") == "text/html; charset=utf-8");
    CHECK(f.field("Content-Encoding") == "gzip");
    CHECK(gunzip(f.sink.all()) == html);
  }
  SECTION("a short piece is typed but identity") {
    Fixture f("");
    f.head();
    f.pull();
    f.inner->give("<html>aaaaaaaaaaa", true);
    CHECK(f.field("Content-Type") == "text/html; charset=utf-8");
    CHECK(f.field("Content-Encoding").empty());
    CHECK(f.sink.all() == "<html>aaaaaaaaaaa");
  }
  SECTION("a known length over the minimum with no type") {
    Fixture f("", 700);
    f.head();
    CHECK(f.ex.response.headWaits);
    f.pull();
    const std::string html = "<html>" + std::string(694, 'a');
    f.inner->give(html, true);
    CHECK(f.field("Content-Encoding") == "gzip");
    CHECK_FALSE(f.ex.response.headers.has("Content-Length"));
    // Nothing flushed it and it ended within Go's 2048-byte buffer: the session writes the
    // compressed length (Go's server gives a finished handler's body a Content-Length).
    CHECK(f.ex.response.streamLength == f.sink.all().size());
    CHECK(gunzip(f.sink.all()) == html);
  }
}

TEST_CASE("encode first piece: a FastCGI body (unknown length, never flushed) is held like Go's buffer") {
  Fixture f("text/html");
  f.ex.response.sniff = true;  // reverse_proxy's FastCGI transport: Go's client says length 0
  f.head();
  REQUIRE(f.ex.response.headWaits);
  f.pull();
  const std::string page(1500, 'p');
  f.inner->give(page, false);
  CHECK(f.sink.pieces.empty());  // held: Go's buffer has room
  f.pull();
  f.inner->give(page, false);
  CHECK(f.sink.pieces.empty());
  f.pull();
  f.inner->give("", true);
  REQUIRE(f.sink.pieces.size() == 1);
  CHECK(f.ex.response.streamLength == f.sink.pieces[0].size());
  CHECK(gunzip(f.sink.all()) == page + page);
  Fixture big("text/html");
  big.ex.response.sniff = true;
  big.head();
  big.pull();
  std::string noise;  // incompressible: a linear congruential byte stream
  uint32_t x = 12345;
  for (int i = 0; i < 4000; ++i) {
    x = x * 1103515245U + 12345U;
    noise += static_cast<char>((x >> 16) & 0xff);
  }
  big.inner->give(noise, false);  // compresses past 2048 bytes: the held output goes on
  big.pull();
  big.inner->give(noise, true);
  CHECK(big.ex.response.streamLength == Response::kUnknownLength);
  CHECK(gunzip(big.sink.all()) == noise + noise);
}

TEST_CASE("encode first piece: an empty body stays identity") {
  Fixture f("text/plain");
  f.head();
  f.pull();
  f.inner->give("", true);
  CHECK(f.field("Content-Encoding").empty());
  CHECK(f.sink.eof);
  CHECK(f.sink.all().empty());
}

TEST_CASE("encode first piece: event streams and flush_interval -1 do not wait") {
  Fixture sse("text/event-stream");
  sse.head();
  CHECK_FALSE(sse.ex.response.headWaits);
  CHECK(sse.field("Content-Encoding") == "gzip");
  Fixture flushed("application/json");
  flushed.ex.response.headAtOnce = true;
  flushed.head();
  CHECK_FALSE(flushed.ex.response.headWaits);
  CHECK(flushed.field("Content-Encoding") == "gzip");
}

// Caddy sniffs a missing type on the first write over minimum_length before deciding whether
// to encode (file_fuzz seed 17: a typeless file's .zst sidecar under `encode` got
// application/octet-stream from caddy 2.6.2, no Content-Type here).
TEST_CASE("encode first piece: a body that stays unencoded is still typed when over the minimum") {
  SECTION("a precompressed sidecar (its own Content-Encoding)") {
    Fixture f("", 700);
    f.ex.response.headers.set("Content-Encoding", "zstd");
    f.head();
    CHECK(f.ex.response.headWaits);
    f.pull();
    const std::string bytes = "\x28\xb5\x2f\xfd" + std::string(696, '\x01');
    f.inner->give(bytes, true);
    CHECK(f.field("Content-Type") == "application/octet-stream");
    CHECK(f.field("Content-Encoding") == "zstd");
    CHECK(f.field("Content-Length") == "700");
    CHECK(f.ex.response.streamLength == 700);
    CHECK(f.sink.all() == bytes);
  }
  SECTION("a part of a typeless file") {
    Fixture f("", 600);
    f.ex.response.status = 206;
    f.ex.response.headers.set("Content-Range", "bytes 0-599/5000");
    f.head();
    f.pull();
    f.inner->give(std::string(600, 'a'), true);
    CHECK(f.field("Content-Type") == "text/plain; charset=utf-8");
    CHECK(f.field("Content-Encoding").empty());
  }
  SECTION("at or under the minimum: untyped, not held") {
    Fixture f("", 512);
    f.ex.response.headers.set("Content-Encoding", "br");
    f.head();
    CHECK_FALSE(f.ex.response.headWaits);
    CHECK_FALSE(f.ex.response.headers.has("Content-Type"));
  }
}
