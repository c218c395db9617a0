// acme_server: Caddy's built-in ACME certificate authority as a route handler. Requests
// under its path prefix are answered by acme::server::AcmeServer (acme/server/); every
// other request goes on to the next handler, as in Caddy. POST bodies (JWS, a few KiB)
// are read whole before the server sees them.

#include <string>

#include "gatehouse/runtime/error_traces.h"
#include "handlers/handlers.h"
#include "internal/x509_builder.h"
#include "provision/internal_settings.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "server/acme_server.h"
#include "storage/file_storage.h"

namespace gatehouse::handlers {

namespace {

using acme::server::AcmeRequest;
using acme::server::AcmeResponse;
using acme::server::AcmeServer;
using runtime::Exchange;
using runtime::Outcome;

// No JWS an ACME client sends comes near this (a CSR for 100 names is ~10 KiB).
constexpr size_t kMaxBody = 64 * 1024;

AcmeRequest requestOf(const Exchange& ex) {
  AcmeRequest r;
  r.method = ex.request.method;
  r.path = ex.request.path;
  r.host = ex.request.host;
  const std::string* ct = ex.request.headers.find("Content-Type");
  r.contentType = ct != nullptr ? *ct : "";
  return r;
}

Outcome answer(Exchange& ex, AcmeResponse resp) {
  for (auto& [name, value] : resp.headers) {
    ex.response.headers.add(name, value);
  }
  return ex.respond(resp.status, std::move(resp.body));
}

// Reads the request body, then lets the server answer.
class BodyReader final : public runtime::PendingWork, private runtime::BodySink {
 public:
  BodyReader(Exchange& ex, std::shared_ptr<AcmeServer> server)
      : ex_(ex), server_(std::move(server)), req_(requestOf(ex)) {}

  void start() { ex_.host->requestBody().pull(ex_.host->loop(), *this); }
  Outcome resumed(Exchange& /*ex*/) override { return Outcome::Handled; }

 private:
  void onBodyData(std::string_view data, bool eof) override {
    if (req_.body.size() + data.size() > kMaxBody) {
      ex_.response.headers.set("Content-Type", "application/problem+json");
      ex_.respond(
          413,
          R"({"type":"urn:ietf:params:acme:error:malformed","detail":"request body too large","status":413})");
      ex_.response.close = true;
      ex_.host->resume();
      return;
    }
    req_.body.append(data);
    if (!eof) {
      ex_.host->requestBody().pull(ex_.host->loop(), *this);
      return;
    }
    answer(ex_, server_->handle(req_));
    ex_.host->resume();
  }
  void onBodyError(int /*uvError*/) override {
    ex_.response.close = true;
    ex_.fail(400, {}, runtime::traces::kNoCaddyOrigin);  // acmez answers it in caddy
    ex_.host->resume();
  }

  Exchange& ex_;
  std::shared_ptr<AcmeServer> server_;
  AcmeRequest req_;
};

class AcmeServerHandler final : public runtime::Handler {
 public:
  explicit AcmeServerHandler(std::shared_ptr<AcmeServer> server) : server_(std::move(server)) {}

  Outcome handle(Exchange& ex) const override {
    if (!server_->handles(ex.request.path)) {
      return Outcome::Continue;
    }
    if (ex.request.bodyLength == 0) {
      return answer(ex, server_->handle(requestOf(ex)));
    }
    auto reader = std::make_unique<BodyReader>(ex, server_);
    BodyReader& r = *reader;
    ex.pending = std::move(reader);
    r.start();
    return Outcome::Paused;
  }

 private:
  std::shared_ptr<AcmeServer> server_;
};

std::string stringField(const config::Json& f, const char* key, const std::string& path) {
  if (!f[key].is_string()) {
    throw provision::ProvisionError(path + "." + key, "expected a string");
  }
  return f[key].get<std::string>();
}

}  // namespace

std::unique_ptr<runtime::Handler> makeAcmeServer(const config::Handler& h, const std::string& path,
                                                 const config::Config& config) {
  const auto& f = h.fields;
  for (const char* newer : {"resolvers", "challenges", "policy"}) {
    if (f.contains(newer)) {
      throw provision::ProvisionError(
          path + "." + newer,
          std::string("acme_server option '") + newer + "' (newer than Caddy 2.6.2) is not supported yet");
    }
  }
  requireKnownFields(h, path, {"handler", "ca", "lifetime", "host", "path_prefix", "sign_with_root"});
  acme::server::ServerOptions opts;
  if (f.contains("ca")) {
    opts.caId = stringField(f, "ca", path);
  }
  if (f.contains("host")) {
    opts.host = stringField(f, "host", path);
  }
  if (f.contains("path_prefix")) {
    opts.pathPrefix = stringField(f, "path_prefix", path);
  }
  if (f.contains("sign_with_root")) {
    if (!f["sign_with_root"].is_boolean()) {
      throw provision::ProvisionError(path + ".sign_with_root", "expected a boolean");
    }
    opts.signing.signWithRoot = f["sign_with_root"].get<bool>();
  }
  std::vector<std::string> warnings;
  auto ca = provision::loadPkiCa(config, opts.caId, warnings, path + ".ca");
  if (f.contains("lifetime")) {
    // Caddy 2.7's option (2.6.2 always signs for 12 hours).
    const auto d = provision::parseDuration(f["lifetime"], path + ".lifetime");
    if (d.count() > 0) {
      opts.signing.lifetime = std::chrono::duration_cast<std::chrono::seconds>(d);
    }
    if (opts.signing.lifetime < std::chrono::minutes(5)) {
      throw provision::ProvisionError(path + ".lifetime", "lifetime must be at least 5 minutes");
    }
    const auto interLifetime =
        acme::internal::notAfterOf(ca->intermediate()) - acme::internal::notBeforeOf(ca->intermediate());
    if (opts.signing.lifetime >= interLifetime) {
      throw provision::ProvisionError(
          path + ".lifetime", "certificate lifetime should be less than intermediate certificate lifetime");
    }
  }
  // Caddy keeps this state under its data directory (acme_server/<ca>/db); here it goes in
  // the configured storage, beside the CA.
  const std::string root = provision::storageRoot(config);
  try {
    auto storage = std::make_shared<acme::FileStorage>(root);
    return std::make_unique<AcmeServerHandler>(
        std::make_shared<AcmeServer>(std::move(opts), std::move(ca), std::move(storage)));
  } catch (const std::exception& e) {
    throw provision::ProvisionError(path, std::string("acme_server: ") + e.what());
  }
}

}  // namespace gatehouse::handlers
