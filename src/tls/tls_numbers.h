#pragma once
// The wire numbers and certificate facts Go's tls.ConnectionState holds where Gatehouse's
// TlsInfo keeps names: what the access log's request>tls object prints (caddy 2.6.2's
// LoggableTLSConnState: version 772, cipher_suite 4865, client_common_name).

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::tls {

// "tls1.3" -> 0x0304 ...; 0 for anything else.
uint16_t versionNumber(std::string_view name);
// An IANA cipher suite name ("TLS_AES_128_GCM_SHA256") -> its code point (0x1301); 0 when
// OpenSSL does not know it.
uint16_t cipherSuiteNumber(std::string_view ianaName);
// The CN of an RFC 2253 subject as TlsInfo keeps it: Go's Subject.CommonName, the last CN
// in certificate order, which RFC 2253 prints first. Empty without one.
std::string commonName(std::string_view rfc2253);

}  // namespace gatehouse::tls
