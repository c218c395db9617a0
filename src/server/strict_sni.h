#pragma once
// strict_sni_host: on TLS connections the Host must name the server the client asked for
// in its SNI, else 421 Misdirected Request (Caddy's Server.ServeHTTP). Guards client-auth
// sites against a certificate for one name being used to reach another.

#include "http/session.h"

namespace gatehouse::server {

class StrictSniGuard final : public http::RequestHandler {
 public:
  explicit StrictSniGuard(http::RequestHandler& next) : next_(next) {}
  runtime::Outcome handle(runtime::Exchange& ex) override;
  runtime::Outcome resumed(runtime::Exchange& ex) override { return next_.resumed(ex); }
  void finished(const runtime::Exchange& ex) override { next_.finished(ex); }
  [[nodiscard]] bool recordsExchanges() const override { return next_.recordsExchanges(); }

 private:
  http::RequestHandler& next_;
};

}  // namespace gatehouse::server
