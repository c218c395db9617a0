#pragma once
// Which certificate to serve when several fit a name: Go's ClientHelloInfo.SupportsCertificate
// and certmagic's DefaultCertificateSelector, so a name with an RSA and an ECDSA certificate
// is served the one the client can use, as caddy serves it.

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "gatehouse/tls/certificate_store.h"
#include "tls/connection_policy.h"

namespace gatehouse::tls {

// Go's mutualVersion: the first version the ClientHello on `ssl` lists (supported_versions,
// else every version up to its legacy one) that the connection allows; 0 when none is
// TLS 1.2 or 1.3 within the connection's bounds.
int negotiatedVersion(SSL* ssl);

// Go's SupportsCertificate for the ClientHello in progress on `ssl`, whose versions and
// cipher list are already `policy`'s. `serverName`: the SNI (lower-case; "" when none),
// which the certificate must then be valid for.
bool clientSupportsCertificate(SSL* ssl, const Certificate& cert, const ConnectionPolicy& policy,
                               const std::string& serverName);

// True when the ClientHello would get TLS 1.3 and shares no key-exchange group with the
// policy: Go fails such a handshake (handshake_failure) before it asks for a certificate.
bool tls13WithoutSharedGroup(SSL* ssl, const ConnectionPolicy& policy);

// Go's TLS 1.3 check of a chosen certificate (pickCertificate): missing_extension when the
// ClientHello has no signature_algorithms, handshake_failure when none of them fits the
// certificate's key (for ECDSA its curve's scheme, for RSA PSS); 0 when it fits.
int tls13SignatureAlert(SSL* ssl, const Certificate& cert);

// certmagic's DefaultCertificateSelector: the first certificate the client supports that
// is within its validity period; else the last one it supports; else the first. Null when
// `choices` is empty.
CertificatePtr defaultCertificateChoice(SSL* ssl, const std::vector<CertificatePtr>& choices,
                                        const ConnectionPolicy& policy, const std::string& serverName);

}  // namespace gatehouse::tls
