#include "proxy/upstream_tls_renegotiation.h"

#include <cstdint>

namespace gatehouse::proxy {

namespace {

// The limit rides in the callback argument as an integer (kUnlimitedRenegotiations), so no object
// must outlive the SSLs (they keep the SSL_CTX alive past a config reload).
void onMessage(int writeP, int /*version*/, int contentType, const void* buf, size_t len, SSL* ssl,
               void* arg) {
  if (writeP != 0 || contentType != SSL3_RT_HANDSHAKE || len < 1 ||
      static_cast<const unsigned char*>(buf)[0] != SSL3_MT_HELLO_REQUEST ||
      SSL_version(ssl) >= TLS1_3_VERSION) {
    return;
  }
  const auto limit = static_cast<long>(reinterpret_cast<intptr_t>(arg));
  // Renegotiations this client already started; OpenSSL counts them itself.
  const long done = SSL_total_renegotiations(ssl);
  if (limit != kUnlimitedRenegotiations && done >= limit) {
    // Read before OpenSSL acts on the HelloRequest: it now answers no_renegotiation
    // instead of a ClientHello. The option also marks the refusal (it is never set otherwise).
    SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
  }
}

}  // namespace

std::optional<int> parseRenegotiation(const std::string& name) {
  if (name.empty() || name == "never") {
    return 0;
  }
  if (name == "once") {
    return 1;
  }
  if (name == "freely") {
    return kUnlimitedRenegotiations;
  }
  return std::nullopt;
}

void watchRenegotiation(SSL_CTX* ctx, int limit) {
  SSL_CTX_clear_options(ctx, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_msg_callback(ctx, onMessage);
  SSL_CTX_set_msg_callback_arg(ctx, reinterpret_cast<void*>(static_cast<intptr_t>(limit)));
}

bool renegotiationRefused(const SSL* ssl) {
  return (SSL_get_options(ssl) & SSL_OP_NO_RENEGOTIATION) != 0;
}

}  // namespace gatehouse::proxy
