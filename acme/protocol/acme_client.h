#pragma once
// The ACME transport (RFC 8555 section 6): the directory, a pool of anti-replay nonces,
// and JWS-signed POSTs (with "jwk" before an account exists, "kid" after). A badNonce
// rejection is retried with the nonce that came with it, as section 6.5 asks; a hiccup (the
// connection refused or reset, a 5xx without a Retry-After beyond a second) is retried
// twice, 250 ms apart, a POST re-signed with a fresh nonce; any other error response
// becomes an AcmeError carrying the CA's problem document. Loop-thread
// only; held by shared_ptr so callbacks in flight keep it alive.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/private_key.h"
#include "http/http_client.h"
#include "protocol/directory.h"
#include "protocol/problem.h"

namespace gatehouse::acme {

struct AcmeResponse {
  HttpResponse http;
  nlohmann::json json;   // the parsed body when the CA sent JSON
  std::string location;  // the Location header
};

class AcmeClient : public std::enable_shared_from_this<AcmeClient> {
 public:
  using Done = std::function<void(std::optional<AcmeError>, AcmeResponse)>;

  AcmeClient(std::shared_ptr<HttpClient> http, std::string directoryUrl);

  // Fetches the directory once; later calls reuse it.
  void loadDirectory(std::function<void(std::optional<AcmeError>)> done);
  [[nodiscard]] const AcmeDirectory& directory() const { return directory_; }
  [[nodiscard]] bool hasDirectory() const { return haveDirectory_; }
  [[nodiscard]] const std::string& directoryUrl() const { return directoryUrl_; }

  // The account that signs requests. With an empty kid, requests carry the public JWK.
  void setAccount(std::shared_ptr<const PrivateKey> key, std::string kid);
  [[nodiscard]] const std::string& kid() const { return kid_; }
  // The CA forgot the account: the next ensureAccount() looks the key up again. The key
  // stays, so requests already in flight still sign (with the JWK; the CA refuses them).
  void forgetAccountUrl() { kid_.clear(); }
  [[nodiscard]] const PrivateKey& accountKey() const { return *key_; }

  // Signed POST of `payload` (JSON text), or POST-as-GET when `payload` is nullopt.
  // `accept` sets the Accept header (certificate downloads want PEM).
  void post(const std::string& url, std::optional<nlohmann::json> payload, Done done,
            std::string accept = "application/json");
  // Plain GET (ARI renewalInfo is unauthenticated).
  void get(const std::string& url, Done done);

  // Fails every later request at once and drops the exchanges in flight (their callbacks
  // never run), so nothing waits for a slow or silent CA.
  void shutdown() {
    shutdown_ = true;
    http_->cancelAll();
  }
  [[nodiscard]] bool isShutdown() const { return shutdown_; }
  [[nodiscard]] uv_loop_t* loop() const { return http_->loop(); }

  static constexpr int kMaxNonceRetries = 20;
  static constexpr int kMaxHiccupRetries = 2;

  struct Attempts {
    int badNonce = 0;
    int hiccup = 0;
  };

 private:
  void withNonce(std::function<void(std::optional<AcmeError>, std::string)> done);
  void sendSigned(const std::string& url, std::optional<nlohmann::json> payload, std::string accept,
                  Attempts attempts, Done done);
  // An unsigned request (GET, the nonce's HEAD), retried after a hiccup.
  void sendPlain(HttpRequest req, int hiccups, std::function<void(HttpResponse)> done);
  // Whether `r` is a hiccup worth another try after the usual short pause.
  [[nodiscard]] static bool isHiccup(const HttpResponse& r);
  void keepNonce(const HttpResponse& r);
  static std::optional<AcmeError> interpret(const std::string& what, const HttpResponse& r, AcmeResponse& out,
                                            bool wantJson);

  std::shared_ptr<HttpClient> http_;
  std::string directoryUrl_;
  AcmeDirectory directory_;
  bool haveDirectory_ = false;
  std::shared_ptr<const PrivateKey> key_;
  std::string kid_;
  std::vector<std::string> nonces_;
  bool shutdown_ = false;
};

}  // namespace gatehouse::acme
