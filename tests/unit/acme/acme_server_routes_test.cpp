// The ACME server's routing without a network: the directory under Caddy's default and a
// custom path prefix, nonces, and the requests it passes on or refuses.
#include <catch2/catch.hpp>
#include <filesystem>

#include "internal/local_ca.h"
#include "server/acme_server.h"
#include "storage/file_storage.h"

using namespace gatehouse::acme;
using namespace gatehouse::acme::server;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::string dir;
  std::shared_ptr<FileStorage> storage;
  std::shared_ptr<const internal::LocalCa> ca;
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "gh-acmeroutes-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    storage = std::make_shared<FileStorage>(dir);
    ca = std::make_shared<const internal::LocalCa>(internal::LocalCa::loadOrCreate(
        *storage, internal::LocalCaOptions{}, std::chrono::system_clock::now()));
  }
  ~Fixture() { fs::remove_all(dir); }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
};

std::string header(const AcmeResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) {
      return v;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("acme server: directory and nonces under the path prefix", "[acmeserver]") {
  Fixture f;
  for (const std::string prefix : {"/acme/", "/custom", "custom/"}) {
    ServerOptions opts;
    opts.pathPrefix = prefix;
    AcmeServer srv(opts, f.ca, f.storage);
    const std::string base = prefix == "/acme/" ? "/acme" : "/custom";
    CHECK(srv.handles(base + "/local/directory"));
    CHECK_FALSE(srv.handles("/other/local/directory"));
    AcmeResponse dir = srv.handle(AcmeRequest{"GET", base + "/local/directory", "ca.test:8443", "", ""});
    REQUIRE(dir.status == 200);
    const auto j = nlohmann::json::parse(dir.body);
    CHECK(j["newNonce"] == "https://ca.test:8443" + base + "/local/new-nonce");
    CHECK(header(dir, "Link") == "<https://ca.test:8443" + base + "/local/directory>;rel=\"index\"");

    AcmeResponse head = srv.handle(AcmeRequest{"HEAD", base + "/local/new-nonce", "ca.test", "", ""});
    AcmeResponse get = srv.handle(AcmeRequest{"GET", base + "/local/new-nonce", "ca.test", "", ""});
    CHECK(head.status == 200);
    CHECK(get.status == 204);
    CHECK_FALSE(header(head, "Replay-Nonce").empty());
    CHECK(header(head, "Replay-Nonce") != header(get, "Replay-Nonce"));
  }
}

TEST_CASE("acme server: other CAs, unknown endpoints and GET on resources are problems", "[acmeserver]") {
  Fixture f;
  AcmeServer srv(ServerOptions{}, f.ca, f.storage);
  auto status = [&](const std::string& method, const std::string& path) {
    AcmeResponse r = srv.handle(AcmeRequest{method, path, "ca.test", "", ""});
    CHECK(header(r, "Content-Type") == "application/problem+json");
    return r.status;
  };
  CHECK(status("GET", "/acme/other/directory") == 404);
  CHECK(status("GET", "/acme/local/nothing") == 405);   // not a GET endpoint
  CHECK(status("POST", "/acme/local/nothing") == 415);  // the JWS is checked before the route is known
  CHECK(status("GET", "/acme/local/order/x") == 405);
  CHECK(status("POST", "/acme/local/directory") == 405);
}
