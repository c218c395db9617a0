#include "proxy/upstream_tls_renegotiation.h"

#include <catch2/catch.hpp>

#include "tls/server_tls.h"

using namespace gatehouse::proxy;

TEST_CASE("tls renegotiation levels as Go's RenegotiateNever/OnceAsClient/FreelyAsClient") {
  CHECK(parseRenegotiation("") == 0);
  CHECK(parseRenegotiation("never") == 0);
  CHECK(parseRenegotiation("once") == 1);
  CHECK(parseRenegotiation("freely") == kUnlimitedRenegotiations);
  CHECK_FALSE(parseRenegotiation("Never"));
  CHECK_FALSE(parseRenegotiation("twice"));
}

TEST_CASE("a watched client context allows renegotiation until a HelloRequest is refused") {
  gatehouse::tls::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(ctx);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  watchRenegotiation(ctx.get(), 1);
  gatehouse::tls::SslPtr ssl(SSL_new(ctx.get()));
  REQUIRE(ssl);
  CHECK_FALSE(renegotiationRefused(ssl.get()));  // the option marks a refusal only
}
