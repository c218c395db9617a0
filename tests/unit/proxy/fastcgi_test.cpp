// FastCGI pieces without a socket: the record codec, the CGI head reader and the CGI
// environment as Caddy's fastcgi transport builds it.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/fastcgi_env.h"
#include "proxy/fastcgi_head.h"
#include "proxy/fastcgi_record.h"

using namespace gatehouse::proxy;
using gatehouse::runtime::Exchange;

namespace {

struct Collected : fcgi::RecordReader::Sink {
  std::vector<std::pair<fcgi::RecordType, std::string>> records;
  std::string current;
  bool onRecordContent(fcgi::RecordType /*t*/, uint16_t /*id*/, std::string_view piece) override {
    current.append(piece);
    return true;
  }
  bool onRecordEnd(fcgi::RecordType t, uint16_t /*id*/) override {
    records.emplace_back(t, current);
    current.clear();
    return true;
  }
};

std::string record(fcgi::RecordType t, std::string_view content) {
  std::string out;
  fcgi::appendStream(out, t, 1, content);
  return out;
}

}  // namespace

TEST_CASE("fastcgi records split at 65535 bytes, padded, and read back byte by byte") {
  const std::string big(70'000, 'x');
  std::string wire;
  fcgi::appendBeginRequest(wire, 1, false);
  wire += record(fcgi::RecordType::Stdout, big);
  fcgi::appendStreamEnd(wire, fcgi::RecordType::Stdout, 1);
  REQUIRE(wire.size() % 8 == 0);
  Collected c;
  fcgi::RecordReader r;
  for (char ch : wire) {
    REQUIRE(r.feed(std::string_view(&ch, 1), c) == fcgi::RecordReader::Result::More);
  }
  REQUIRE(r.atBoundary());
  REQUIRE(c.records.size() == 4);
  CHECK(c.records[0].first == fcgi::RecordType::BeginRequest);
  CHECK(c.records[0].second == std::string("\0\1\0\0\0\0\0\0", 8));
  CHECK(c.records[1].second.size() == 65535);
  CHECK(c.records[2].second.size() == 70'000 - 65535);
  CHECK(c.records[3].second.empty());
  std::string bad = wire;
  bad[0] = 2;
  fcgi::RecordReader r2;
  CHECK(r2.feed(bad, c) == fcgi::RecordReader::Result::BadVersion);
}

TEST_CASE("fastcgi name-value pairs use 4-byte lengths from 128 bytes") {
  std::string out;
  fcgi::appendPair(out, "A", "b");
  CHECK(out == std::string("\1\1Ab", 4));
  out.clear();
  fcgi::appendPair(out, "K", std::string(200, 'v'));
  REQUIRE(out.size() == 1 + 4 + 1 + 200);
  CHECK(static_cast<unsigned char>(out[1]) == 0x80);
  CHECK(static_cast<unsigned char>(out[4]) == 200);
}

TEST_CASE("CGI head: Status, folded lines, canonical names, body after the blank line") {
  CgiHeadReader reader(1 << 20);
  ResponseHead head;
  std::string_view rest;
  REQUIRE(reader.feed("Status: 404 Not Found\r\nx-powered-by: PHP\r\nX-Long: a\r\n", rest, head) ==
          CgiHeadReader::State::More);
  REQUIRE(reader.feed("  b\r\n\r\nbody", rest, head) == CgiHeadReader::State::Done);
  CHECK(rest == "body");
  CHECK(head.status == 404);
  CHECK(head.reason == "Not Found");
  CHECK(head.headers.get("Status") == "404 Not Found");
  CHECK(head.headers.get("X-Powered-By") == "PHP");
  CHECK(head.headers.get("X-Long") == "a b");
  CHECK_FALSE(head.hasLength);
}

TEST_CASE("CGI head: no Status is 200, a bad one or a line without colon is an error") {
  {
    CgiHeadReader reader(1 << 20);
    ResponseHead head;
    std::string_view rest;
    REQUIRE(reader.feed("Content-Length: 3\n\nabc", rest, head) == CgiHeadReader::State::Done);
    CHECK(head.status == 200);
    CHECK(head.hasLength);
    CHECK(head.length == 3);
  }
  {
    CgiHeadReader reader(1 << 20);
    ResponseHead head;
    std::string_view rest;
    CHECK(reader.feed("Status: abc\r\n\r\n", rest, head) == CgiHeadReader::State::Error);
  }
  {
    CgiHeadReader reader(1 << 20);
    ResponseHead head;
    std::string_view rest;
    CHECK(reader.feed("garbage\r\n\r\n", rest, head) == CgiHeadReader::State::Error);
  }
  {
    CgiHeadReader reader(16);
    ResponseHead head;
    std::string_view rest;
    CHECK(reader.feed("X-Big: 0123456789abcdef\r\n", rest, head) == CgiHeadReader::State::Error);
  }
  {
    // The stream ended inside the head: what was read counts (Go accepts io.EOF there).
    CgiHeadReader reader(1 << 20);
    ResponseHead head;
    std::string_view rest;
    REQUIRE(reader.feed("Status: 302\r\nLocation: /x", rest, head) == CgiHeadReader::State::More);
    REQUIRE(reader.finish(head) == CgiHeadReader::State::Done);
    CHECK(head.status == 302);
    CHECK(head.headers.get("Location") == "/x");
  }
}

TEST_CASE("split_path and SanitizedPathJoin as Caddy's") {
  CHECK(splitPosition({".php"}, "/index.PHP/a/b") == 10);
  CHECK(splitPosition({".php"}, "/static/x.css") == -1);
  CHECK(splitPosition({}, "/x") == 0);
  CHECK(sanitizedPathJoin("/srv", "/../etc/passwd") == "/srv/etc/passwd");
  CHECK(sanitizedPathJoin("/srv", "/a/") == "/srv/a/");
  CHECK(sanitizedPathJoin("/", "/a") == "/a");
  CHECK(sanitizedPathJoin("/srv", "") == "/srv");
}

TEST_CASE("CGI environment for a POST with PATH_INFO, env placeholders and header fields") {
  FastCgiTransport t;
  t.root = gatehouse::router::Template("/srv/www/");
  t.splitPath = {".php"};
  t.env.emplace_back("APP_ENV", gatehouse::router::Template("x{http.request.method}"));
  Exchange ex;
  auto& r = ex.request;
  r.method = "POST";
  r.host = "example.com:8443";
  r.path = "/index.php/extra";
  r.rawPath = r.path;
  r.query = "a=1";
  r.hasQuery = true;
  r.origUri = "/orig?a=1";
  r.remoteIp = "::1";
  r.remotePort = 5555;
  r.bodyLength = 3;
  gatehouse::runtime::HeaderList fields;
  fields.add("Host", "example.com:8443");
  fields.add("X-Multi", "a");
  fields.add("x-multi", "b");
  fields.add("Content-Length", "3");
  CgiEnv env;
  std::string error;
  REQUIRE(buildCgiEnv(t, ex, fields, env, error));
  CHECK(env["SCRIPT_NAME"] == "/index.php");
  CHECK(env["SCRIPT_FILENAME"] == "/srv/www/index.php");
  CHECK(env["PATH_INFO"] == "/extra");
  CHECK(env["PATH_TRANSLATED"] == "/srv/www/extra");
  CHECK(env["DOCUMENT_ROOT"] == "/srv/www");
  CHECK(env["DOCUMENT_URI"] == "/index.php");
  CHECK(env["REQUEST_URI"] == "/orig?a=1");
  CHECK(env["QUERY_STRING"] == "a=1");
  // Go's URL.RequestURI() of the original target (found by tests/compat/request_fuzz.py)
  r.origUri = "/x#frag?b=1#c";
  CgiEnv hashed;
  REQUIRE(buildCgiEnv(t, ex, fields, hashed, error));
  CHECK(hashed["REQUEST_URI"] == "/x%23frag?b=1#c");
  CHECK(env["SERVER_NAME"] == "example.com");
  CHECK(env["SERVER_PORT"] == "8443");
  CHECK(env["REMOTE_ADDR"] == "::1");
  CHECK(env["REMOTE_PORT"] == "5555");
  CHECK(env["CONTENT_LENGTH"] == "3");
  CHECK(env["CONTENT_TYPE"] == "application/x-www-form-urlencoded");
  CHECK(env["HTTP_X_MULTI"] == "a, b");
  CHECK(env["HTTP_CONTENT_LENGTH"] == "3");
  CHECK(env["APP_ENV"] == "xPOST");
  CHECK(env.count("HTTPS") == 0);
  CHECK(env.count("HTTP_HOST") == 1);
}

TEST_CASE("CGI environment: HEAD sends no length, TLS sets HTTPS and SSL_*") {
  FastCgiTransport t;
  t.root = gatehouse::router::Template("/srv");
  Exchange ex;
  auto& r = ex.request;
  r.method = "HEAD";
  r.host = "example.com";
  r.path = "/a.php";
  r.origUri = "/a.php";
  r.tls = true;
  auto info = std::make_shared<gatehouse::runtime::TlsInfo>();
  info->version = "tls1.3";
  info->cipherSuite = "TLS_AES_128_GCM_SHA256";
  r.tlsInfo = info;
  gatehouse::runtime::HeaderList fields;
  CgiEnv env;
  std::string error;
  REQUIRE(buildCgiEnv(t, ex, fields, env, error));
  CHECK(env["REQUEST_METHOD"] == "HEAD");
  CHECK(env["CONTENT_LENGTH"] == "0");
  CHECK(env["HTTPS"] == "on");
  CHECK(env["SSL_PROTOCOL"] == "TLSv1.3");
  CHECK(env["SSL_CIPHER"] == "TLS_AES_128_GCM_SHA256");
  CHECK(env["SERVER_PORT"] == "443");
  CHECK(env["REQUEST_SCHEME"] == "https");
  // split_path empty: Caddy puts the whole path in PATH_INFO and leaves SCRIPT_NAME empty.
  CHECK(env["PATH_INFO"] == "/a.php");
  CHECK(env["SCRIPT_NAME"].empty());
  CHECK(env["SCRIPT_FILENAME"] == "/srv");
  CHECK_FALSE(fastCgiSendsBody("OPTIONS"));
}

TEST_CASE("fastcgi reader and CGI head reader take arbitrary bytes in arbitrary pieces") {
  // Random records (valid headers with random types, lengths and content) and random noise,
  // cut at random places: no crash, and the head reader either finishes or says why.
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  for (int round = 0; round < 300; ++round) {
    std::string wire;
    const int records = static_cast<int>(next() % 6);
    for (int i = 0; i < records; ++i) {
      std::string content(next() % 300, '\0');
      for (char& c : content) {
        c = static_cast<char>(next() % 4 == 0 ? '\n' : next() % 4 == 0 ? ':' : 'a' + next() % 26);
      }
      wire += record(static_cast<fcgi::RecordType>(1 + next() % 11), content);
    }
    if (next() % 3 == 0) {
      for (int i = 0; i < 40; ++i) {
        wire.push_back(static_cast<char>(next()));
      }
    }
    struct HeadSink : fcgi::RecordReader::Sink {
      CgiHeadReader head{512};
      ResponseHead out;
      bool done = false;
      bool onRecordContent(fcgi::RecordType t, uint16_t /*id*/, std::string_view piece) override {
        if (t != fcgi::RecordType::Stdout || done) {
          return true;
        }
        std::string_view rest;
        const auto state = head.feed(piece, rest, out);
        done = state != CgiHeadReader::State::More;
        CHECK((state != CgiHeadReader::State::Error || !head.error().empty()));
        return true;
      }
      bool onRecordEnd(fcgi::RecordType /*t*/, uint16_t /*id*/) override { return true; }
    } sink;
    fcgi::RecordReader reader;
    std::string_view rest = wire;
    while (!rest.empty()) {
      const size_t n = std::min<size_t>(rest.size(), 1 + next() % 97);
      if (reader.feed(rest.substr(0, n), sink) != fcgi::RecordReader::Result::More) {
        break;
      }
      rest.remove_prefix(n);
    }
    if (!sink.done) {
      const auto state = sink.head.finish(sink.out);
      CHECK((state == CgiHeadReader::State::Done || !sink.head.error().empty()));
    }
  }
}
