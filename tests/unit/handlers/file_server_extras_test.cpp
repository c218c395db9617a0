#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "gatehouse/runtime/exchange_host.h"
#include "handlers/browse.h"
#include "handlers/file_server.h"
#include "handlers/handlers.h"
#include "provision/provision_error.h"

using gatehouse::config::Handler;
using gatehouse::config::Json;
using gatehouse::provision::ProvisionError;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;
namespace h = gatehouse::handlers;
namespace fs = std::filesystem;

namespace {

struct Site {
  fs::path root;
  Site() {
    char tmpl[] = "/tmp/gatehouse-fs-test-XXXXXX";
    root = mkdtemp(tmpl);
    fs::create_directories(root / "d" / "sub");
    write("d/a.txt", std::string(3000, 'a'));
    write("d/B.txt", "b");
    write("d/hide.me", "h");
    write("app.css", "plain css");
    write("app.css.gz", "GZ");
    write("app.css.br", "BROTLI");
  }
  ~Site() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void write(const std::string& rel, const std::string& content) const {
    std::ofstream(root / rel) << content;
  }
};

Exchange get(const std::string& path,
             std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.path = path;
  ex.request.rawPath = path;
  ex.request.origUri = path;
  for (const auto& [k, v] : headers) {
    ex.request.headers.add(k, v);
  }
  return ex;
}

}  // namespace

TEST_CASE("precompressed sidecars follow q-values, then the configured order", "[handlers][file_server]") {
  Site site;
  auto fsrv =
      h::makeFileServer(Handler{"file_server",
                                Json{{"root", site.root.string()},
                                     {"precompressed", {{"gzip", Json::object()}, {"br", Json::object()}}},
                                     {"precompressed_order", {"br", "gzip"}}},
                                {},
                                {}},
                        "p");
  auto serve = [&](const char* ae) {
    Exchange ex = get("/app.css", {{"Accept-Encoding", ae}});
    REQUIRE(fsrv->handle(ex) == Outcome::Handled);
    return ex;
  };
  Exchange both = serve("gzip, br");
  CHECK(both.response.headers.get("Content-Encoding") == "br");
  CHECK(both.response.body == "BROTLI");
  CHECK(both.response.headers.get("Content-Type") == "text/css; charset=utf-8");
  Exchange q = serve("br;q=0.2, gzip");
  CHECK(q.response.headers.get("Content-Encoding") == "gzip");
  CHECK(q.response.body == "GZ");
  CHECK(q.response.headers.get("Etag") != both.response.headers.get("Etag"));
  Exchange none = serve("identity");
  CHECK_FALSE(none.response.headers.has("Content-Encoding"));
  CHECK(none.response.body == "plain css");
  CHECK(none.response.headers.get("Vary") == "Accept-Encoding");
  CHECK_THROWS_AS(
      h::makeFileServer(Handler{"file_server", Json{{"precompressed", {{"lzma", Json::object()}}}}, {}, {}},
                        "p"),
      ProvisionError);
}

namespace {

// The host a paused file_server (browse reads the directory on the thread pool) resumes:
// a real loop, run until resume() is called.
class PoolHost final : public gatehouse::runtime::ExchangeHost {
 public:
  PoolHost() { uv_loop_init(&loop_); }
  ~PoolHost() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  PoolHost(const PoolHost&) = delete;
  PoolHost& operator=(const PoolHost&) = delete;
  uv_loop_t* loop() override { return &loop_; }
  gatehouse::runtime::WorkerState& worker() override { return state_; }
  void resume() override { resumed_ = true; }
  gatehouse::runtime::BodySource& requestBody() override { return body_; }
  void sendInformational(int /*status*/, const gatehouse::runtime::HeaderList& /*fields*/) override {}
  void tunnelWrite(std::string_view /*data*/) override {}
  void tunnelShutdownWrite() override {}
  void tunnelResumeReading() override {}
  void tunnelClose() override {}

  // Runs `ex` through the handler the way a session does: handle(), then, after a pause,
  // the loop until the work resumes the exchange, then the work's resumed().
  Outcome serve(const gatehouse::runtime::Handler& handler, Exchange& ex) {
    ex.host = this;
    resumed_ = false;
    Outcome o = handler.handle(ex);
    if (o != Outcome::Paused) {
      return o;
    }
    for (int i = 0; i < 1000 && !resumed_; ++i) {
      uv_run(&loop_, UV_RUN_ONCE);
    }
    REQUIRE(resumed_);
    o = ex.pending->resumed(ex);
    ex.pending.reset();
    return o;
  }

 private:
  struct NoBody final : gatehouse::runtime::BodySource {
    void pull(uv_loop_t* /*loop*/, gatehouse::runtime::BodySink& sink) override { sink.onBodyData({}, true); }
  };
  uv_loop_t loop_{};
  gatehouse::runtime::WorkerState state_{&loop_};
  NoBody body_;
  bool resumed_ = false;
};

}  // namespace

TEST_CASE("browse lists a directory as JSON with Caddy's fields, sorted and paged",
          "[handlers][file_server]") {
  Site site;
  auto fsrv = h::makeFileServer(
      Handler{"file_server",
              Json{{"root", site.root.string()}, {"browse", Json::object()}, {"hide", {"hide.me"}}},
              {},
              {}},
      "p");
  PoolHost host;
  Exchange ex = get("/d/", {{"Accept", "application/json"}});
  REQUIRE(host.serve(*fsrv, ex) == Outcome::Handled);
  CHECK(ex.response.status == 200);
  CHECK(ex.response.headers.get("Content-Type") == "application/json; charset=utf-8");
  Json list = Json::parse(ex.response.body);
  REQUIRE(list.size() == 3);
  CHECK(list[0]["name"] == "sub/");  // namedirfirst
  CHECK(list[0]["is_dir"] == true);
  CHECK(list[1]["name"] == "a.txt");  // case-insensitive name order
  CHECK(list[2]["name"] == "B.txt");
  CHECK(list[1]["url"] == "./a.txt");
  CHECK(list[1]["size"] == 3000);
  CHECK(list[0]["mode"].get<uint32_t>() >> 31 == 1);

  Exchange bySize = get("/d/", {{"Accept", "application/json"}});
  bySize.request.query = "sort=size&order=desc&limit=2";
  bySize.request.hasQuery = true;
  host.serve(*fsrv, bySize);
  Json sized = Json::parse(bySize.response.body);
  REQUIRE(sized.size() == 2);
  CHECK(sized[0]["name"] == "a.txt");
  CHECK(sized[1]["name"] == "B.txt");
  CHECK(bySize.response.headers.count("Set-Cookie") == 2);

  Exchange noSlash = get("/d");
  host.serve(*fsrv, noSlash);
  CHECK(noSlash.response.status == 308);
  CHECK(noSlash.response.headers.get("Location") == "/d/");

  Exchange html = get("/d/");
  host.serve(*fsrv, html);
  CHECK(html.response.headers.get("Content-Type") == "text/html; charset=utf-8");
  CHECK(html.response.body.find("<a href=\"./a.txt\">a.txt</a>") != std::string::npos);
  CHECK(html.response.body.find("hide.me") == std::string::npos);
  CHECK(html.response.body.find("1 directory, 2 files") != std::string::npos);
}

TEST_CASE("Go file modes and listing JSON escaping", "[handlers][file_server]") {
  struct stat st {};
  st.st_mode = S_IFDIR | 0755;
  CHECK(h::goFileMode(st) == ((1u << 31) | 0755u));
  st.st_mode = S_IFREG | 0644;
  CHECK(h::goFileMode(st) == 0644u);
  h::ListingItem item;
  item.name = "<a&b>";
  item.url = "./%3Ca&b%3E";
  item.modTime = 1700000000;
  CHECK(h::listingJson({item}) ==
        "[{\"name\":\"\\u003ca\\u0026b\\u003e\",\"size\":0,\"url\":\"./"
        "%3Ca\\u0026b%3E\",\"mod_time\":\"2023-11-14T22:13:20Z\","
        "\"mode\":0,\"is_dir\":false,\"is_symlink\":false}]\n");
}

TEST_CASE("file_server's status_code keeps a number's JSON text, as Caddy's WeakString",
          "[handlers][file_server]") {
  // A double past int's range was converted with get<int>() (undefined; UBSan float-cast-overflow).
  const auto status = [](const Json& code) {
    auto fsrv = h::makeFileServer(Handler{"file_server", Json{{"status_code", code}}, {}, {}}, "p");
    return dynamic_cast<const h::FileServer&>(*fsrv).statusCode.source();
  };
  CHECK(status(404) == "404");
  CHECK(status("{env.CODE}") == "{env.CODE}");
  CHECK(status(1.5) == "1.5");
  CHECK(status(1e300) == "1e+300");
  CHECK(status(Json::parse("18446744073709551616")) == "1.8446744073709552e+19");
}
