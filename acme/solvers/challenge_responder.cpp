#include "gatehouse/acme/challenge_responder.h"

#include <cctype>

namespace gatehouse::acme {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

void ChallengeResponder::setHttp01(const std::string& token, const std::string& keyAuthorization) {
  std::lock_guard lock(mu_);
  http01_[token] = keyAuthorization;
}

void ChallengeResponder::clearHttp01(const std::string& token) {
  std::lock_guard lock(mu_);
  http01_.erase(token);
}

std::optional<std::string> ChallengeResponder::http01(std::string_view token) const {
  std::lock_guard lock(mu_);
  if (auto it = http01_.find(token); it != http01_.end())
    return it->second;
  return std::nullopt;
}

std::string_view ChallengeResponder::http01Token(std::string_view path) {
  if (path.substr(0, kHttp01Prefix.size()) != kHttp01Prefix)
    return {};
  std::string_view token = path.substr(kHttp01Prefix.size());
  if (auto q = token.find('?'); q != std::string_view::npos)
    token = token.substr(0, q);
  if (token.find('/') != std::string_view::npos)
    return {};
  return token;
}

std::optional<std::string> ChallengeResponder::http01ForPath(std::string_view path) const {
  const std::string_view token = http01Token(path);
  if (token.empty())
    return std::nullopt;
  return http01(token);
}

void ChallengeResponder::setTlsAlpn01(const std::string& serverName, PemCertificate cert) {
  std::lock_guard lock(mu_);
  tlsAlpn01_[lower(serverName)] = std::move(cert);
}

void ChallengeResponder::clearTlsAlpn01(const std::string& serverName) {
  std::lock_guard lock(mu_);
  tlsAlpn01_.erase(lower(serverName));
}

std::optional<PemCertificate> ChallengeResponder::tlsAlpn01(std::string_view serverName) const {
  std::lock_guard lock(mu_);
  if (auto it = tlsAlpn01_.find(lower(serverName)); it != tlsAlpn01_.end())
    return it->second;
  return std::nullopt;
}

}  // namespace gatehouse::acme
