#pragma once
// A TLS 1.3 alert record under the server's handshake traffic keys, built by hand: Go
// (caddy 2.6.2) refuses an unknown ALPN protocol after its ServerHello, so its client reads
// the alert encrypted; OpenSSL refuses while reading the ClientHello, in the clear. The
// handshake runs on without ALPN, and the flight OpenSSL wrote is cut after its ServerHello
// (and ChangeCipherSpec) and ends with this record instead.

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::tls {

// The record (type 23, the first one under these keys: sequence number 0) carrying a fatal
// `alert` for `suite`, a TLS 1.3 suite; `secret` is the server handshake traffic secret.
// "" when the suite is unknown or OpenSSL fails.
[[nodiscard]] std::string tls13HandshakeAlertRecord(const SSL_CIPHER* suite, std::string_view secret,
                                                    uint8_t alert);

// Where the records in clear end in `flight` (server-to-client records): the offset of the
// first application_data (encrypted) record, or the whole length when there is none.
[[nodiscard]] size_t clearRecordsEnd(std::string_view flight);

}  // namespace gatehouse::tls
