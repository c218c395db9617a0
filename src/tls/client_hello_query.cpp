#include "tls/client_hello_query.h"

#include <openssl/tls1.h>

#include <algorithm>

namespace gatehouse::tls {

namespace {
void appendPairs(const unsigned char* p, size_t len, std::vector<uint16_t>& out) {
  for (size_t i = 0; i + 1 < len; i += 2) {
    out.push_back(static_cast<uint16_t>((p[i] << 8) | p[i + 1]));
  }
}
}  // namespace

ManagerQuery clientHelloQuery(SSL* ssl, const std::string& serverName) {
  ManagerQuery q;
  q.serverName = serverName;
  const unsigned char* ciphers = nullptr;
  const size_t cipherBytes = SSL_client_hello_get0_ciphers(ssl, &ciphers);
  appendPairs(ciphers, cipherBytes, q.cipherSuites);
  const unsigned char* ext = nullptr;
  size_t extLen = 0;
  // signature_algorithms: a 2-byte list length, then 2-byte scheme ids.
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &ext, &extLen) == 1 && extLen >= 2) {
    const size_t listLen = std::min(extLen - 2, static_cast<size_t>((ext[0] << 8) | ext[1]));
    appendPairs(ext + 2, listLen, q.signatureSchemes);
  }
  return q;
}

}  // namespace gatehouse::tls
