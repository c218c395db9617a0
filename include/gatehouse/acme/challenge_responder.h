#pragma once
// What the engine asks while ACME challenges are in flight. Thread-safe: the ACME client
// adds and removes answers on its loop while server workers read them on theirs.
//
//  * HTTP-01: for GET /.well-known/acme-challenge/<token> on port 80 of any host, answer
//    200 text/plain with http01(token) when it has a value (before any routing), else go on.
//  * TLS-ALPN-01: for a TLS ClientHello offering only "acme-tls/1", complete the handshake
//    with tlsAlpn01(serverName) and close after it (RFC 8737 section 3).
//  * Neither in memory: a challenge another server sharing the storage presented may be in
//    storage (stored(); read off the loop, see stored_challenges.h).

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gatehouse/acme/stored_challenges.h"

namespace gatehouse::acme {

// A PEM certificate and its PEM private key.
struct PemCertificate {
  std::string certPem;
  std::string keyPem;
};

class ChallengeResponder {
 public:
  static constexpr std::string_view kHttp01Prefix = "/.well-known/acme-challenge/";

  // `stored`: where challenges other servers present are looked up; null: nowhere.
  explicit ChallengeResponder(std::shared_ptr<const StoredChallenges> stored = nullptr)
      : stored_(std::move(stored)) {}
  [[nodiscard]] const std::shared_ptr<const StoredChallenges>& stored() const { return stored_; }
  // The token of a challenge path ("" when `path` is not one); query strings are ignored.
  static std::string_view http01Token(std::string_view path);

  void setHttp01(const std::string& token, const std::string& keyAuthorization);
  void clearHttp01(const std::string& token);
  [[nodiscard]] std::optional<std::string> http01(std::string_view token) const;
  // The key authorization for a request path, when it is a challenge path with a token we
  // are presenting (query strings are ignored).
  [[nodiscard]] std::optional<std::string> http01ForPath(std::string_view path) const;

  // Names are matched case-insensitively (SNI is case-insensitive).
  void setTlsAlpn01(const std::string& serverName, PemCertificate cert);
  void clearTlsAlpn01(const std::string& serverName);
  [[nodiscard]] std::optional<PemCertificate> tlsAlpn01(std::string_view serverName) const;

 private:
  const std::shared_ptr<const StoredChallenges> stored_;
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> http01_;
  std::map<std::string, PemCertificate, std::less<>> tlsAlpn01_;
};

}  // namespace gatehouse::acme
