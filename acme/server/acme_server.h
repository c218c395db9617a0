#pragma once
// Caddy's acme_server (smallstep's ACME CA behind it): an RFC 8555 certificate authority
// answering under <path_prefix><ca>/ (Caddy's default prefix "/acme/", so the directory is
// /acme/local/directory). Independent of the HTTP engine: the handler glue
// (src/handlers/acme_server_handler.cpp) passes a request in and writes the answer out.
// Thread-safe: every worker loop may call handle() at once.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "internal/local_ca.h"
#include "server/background_worker.h"
#include "server/certificate_signer.h"
#include "server/challenge_validation.h"
#include "server/server_store.h"
#include "storage/storage.h"

namespace gatehouse::acme::server {

struct ServerOptions {
  std::string caId = "local";
  std::string host;  // empty: the request's Host
  std::string pathPrefix = "/acme/";
  SigningPolicy signing;
  ValidationSettings validation;
};

struct AcmeRequest {
  std::string method;
  std::string path;  // as sent (escaped)
  std::string host;  // Host header, with its port
  std::string contentType;
  std::string body;
};

struct AcmeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class AcmeServer {
 public:
  // Loads the accounts kept in `storage`. Throws StorageError.
  AcmeServer(ServerOptions options, std::shared_ptr<const internal::LocalCa> ca,
             std::shared_ptr<Storage> storage);

  // Whether the request is for this server (its path starts with the prefix); Caddy passes
  // any other request on to the next handler.
  [[nodiscard]] bool handles(const std::string& path) const;
  AcmeResponse handle(const AcmeRequest& req);

  [[nodiscard]] const ServerOptions& options() const { return options_; }

  struct Call;  // one request being answered (acme_server_call.h, used only inside acme/server)

 private:
  // Endpoints (acme_server_resources.cpp); each returns the response to send.
  AcmeResponse directory(const Call& call);
  AcmeResponse newNonce(const Call& call);
  AcmeResponse newAccount(Call& call);
  AcmeResponse accountResource(Call& call, const std::string& id);
  AcmeResponse accountOrders(Call& call, const std::string& id);
  AcmeResponse newOrder(Call& call);
  AcmeResponse orderResource(Call& call, const std::string& id);
  AcmeResponse finalize(Call& call, const std::string& id);
  AcmeResponse authorizationResource(Call& call, const std::string& id);
  AcmeResponse challengeResource(Call& call, const std::string& authzId, const std::string& challengeId);
  AcmeResponse certificateResource(Call& call, const std::string& id);

  AcmeResponse route(Call& call, const std::string& rest);
  // Checks the JWS of a POST (RFC 8555 section 6.2-6.4): nonce, url, signature, and
  // either a new key (`jwk`, newAccount) or an existing account (`kid`). Throws AcmeProblem.
  void authenticate(Call& call, bool wantJwk);
  void validateLater(const Authorization& authz, const Challenge& challenge, const std::string& thumbprint);

  ServerOptions options_;
  std::shared_ptr<const internal::LocalCa> ca_;
  std::shared_ptr<Storage> storage_;
  std::shared_ptr<ServerStore> store_;
  BackgroundWorker worker_;  // last: joined before the members its jobs use go
};

}  // namespace gatehouse::acme::server
