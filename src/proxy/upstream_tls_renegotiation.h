#pragma once
// Server-initiated TLS 1.2 renegotiation on upstream connections, as Go's
// tls.Config.Renegotiation (Caddy's transport.http.tls.renegotiation): "never" refuses every
// HelloRequest, "once" accepts the first, "freely" all. A refused HelloRequest is answered
// with a no_renegotiation alert and fails the connection, as Go's client does.

#include <openssl/ssl.h>

#include <optional>
#include <string>

namespace gatehouse::proxy {

// The renegotiations a client accepts per connection ("freely").
constexpr int kUnlimitedRenegotiations = -1;

// "never" | "once" | "freely" ("" is never) as the number of renegotiations accepted per
// connection; nullopt when the name is unknown.
std::optional<int> parseRenegotiation(const std::string& name);

// Makes every SSL made from `ctx` count the HelloRequests it receives against `limit`.
void watchRenegotiation(SSL_CTX* ctx, int limit);

// Whether `ssl` refused a renegotiation (the connection must then fail).
bool renegotiationRefused(const SSL* ssl);

}  // namespace gatehouse::proxy
