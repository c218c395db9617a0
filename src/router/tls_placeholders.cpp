// {http.request.tls.*}: the handshake's facts and the client certificate's fields.

#include <cctype>

#include "router/request_placeholders.h"
#include "tls/client_cert_fields.h"

namespace gatehouse::router {

namespace {

// tls.client.* without "tls.client.": known only when the client sent a certificate.
bool clientCertPlaceholder(std::string_view key, const runtime::TlsInfo& tls, std::string& out) {
  if (!tls.hasClientCert) {
    return false;
  }
  if (key == "subject") {
    out = tls.clientSubject;
  } else if (key == "issuer") {
    out = tls.clientIssuer;
  } else if (key == "serial") {
    out = tls.clientSerial;
  } else if (key == "fingerprint") {
    out = tls.clientFingerprint;
  } else if (key == "certificate_pem") {
    out = tls.clientCertificatePem;
  } else {
    return tls::clientCertField(key, tls.clientCertificatePem, out);
  }
  return true;
}

}  // namespace

bool tlsPlaceholder(std::string_view field, const runtime::TlsInfo* tls, std::string& out) {
  if (tls == nullptr) {
    return false;
  }
  std::string lower(field);  // Caddy lower-cases the field: {http.request.tls.VERSION}
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const std::string_view key = lower;
  if (key == "version") {
    out = tls->version;
  } else if (key == "cipher_suite") {
    out = tls->cipherSuite;
  } else if (key == "proto") {
    out = tls->proto;
  } else if (key == "proto_mutual") {
    out = "true";
  } else if (key == "server_name") {
    out = tls->serverName;
  } else if (key == "resumed") {
    out = tls->resumed ? "true" : "false";
  } else if (key.starts_with("client.")) {
    return clientCertPlaceholder(key.substr(7), *tls, out);
  } else {
    return false;
  }
  return true;
}

}  // namespace gatehouse::router
