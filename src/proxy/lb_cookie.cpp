#include "proxy/lb_cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::proxy {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool sameValue(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// X-Forwarded-Proto's last value, as Caddy's lastHeaderValue.
std::string_view lastForwardedProto(const runtime::Exchange& ex) {
  std::string_view last;
  bool found = false;
  for (const auto& f : ex.request.headers) {
    if (runtime::equalsIgnoreCase(f.name, "X-Forwarded-Proto")) {
      last = f.value;
      found = true;
    }
  }
  if (!found) {
    return {};
  }
  const size_t comma = last.rfind(',');
  return trim(comma == std::string_view::npos ? last : last.substr(comma + 1));
}

}  // namespace

std::string cookieHash(const std::string& secret, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len) == nullptr) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xf]);
  }
  return out;
}

bool requestCookie(const runtime::Exchange& ex, std::string_view name, std::string& value) {
  for (const auto& f : ex.request.headers) {
    if (!runtime::equalsIgnoreCase(f.name, "Cookie")) {
      continue;
    }
    std::string_view rest = f.value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) {
        continue;
      }
      std::string_view v = trim(pair.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        v = v.substr(1, v.size() - 2);
      }
      value.assign(v);
      return true;
    }
  }
  return false;
}

CookiePolicy::CookiePolicy(Options o, const std::vector<std::string>& dials,
                           std::unique_ptr<SelectionPolicy> fallback)
    : o_(std::move(o)), fallback_(std::move(fallback)) {
  hashes_.reserve(dials.size());
  for (const auto& d : dials) {
    hashes_.push_back(cookieHash(o_.secret, d));
  }
}

std::string CookiePolicy::hashOf(size_t i, const DynamicCandidates* dynamic) const {
  if (dynamic != nullptr) {
    return i < dynamic->dials.size() ? cookieHash(o_.secret, dynamic->dials[i]) : std::string();
  }
  return i < hashes_.size() ? hashes_[i] : std::string();
}

int CookiePolicy::choose(const std::vector<size_t>& available, const runtime::Exchange& ex,
                         ConnectionPool& pool, const DynamicCandidates* dynamic) const {
  std::string value;
  if (requestCookie(ex, o_.name, value)) {
    for (size_t i = 0; i < available.size(); ++i) {
      const std::string h = hashOf(available[i], dynamic);
      if (!h.empty() && sameValue(h, value)) {
        return static_cast<int>(i);
      }
    }
  }
  return fallback_->select(available, ex, pool, dynamic);
}

std::string CookiePolicy::responseCookie(size_t chosen, const runtime::Exchange& ex,
                                         const DynamicCandidates* dynamic) const {
  const std::string hash = hashOf(chosen, dynamic);
  if (hash.empty()) {
    return {};
  }
  std::string value;
  if (requestCookie(ex, o_.name, value) && sameValue(hash, value)) {
    return {};  // the request was already stuck to this upstream
  }
  // As Go's http.Cookie.String: Path, Max-Age, HttpOnly, Secure, SameSite.
  std::string c = o_.name + "=" + hash + "; Path=/";
  if (const auto secs = std::chrono::duration_cast<std::chrono::seconds>(o_.maxAge).count(); secs > 0) {
    c += "; Max-Age=" + std::to_string(secs);
  }
  c += "; HttpOnly";
  const std::string* trusted = ex.var("trusted_proxy");
  const bool proxiedHttps = trusted != nullptr && *trusted == "true" && lastForwardedProto(ex) == "https";
  if (ex.request.tls || proxiedHttps) {
    c += "; Secure; SameSite=None";
  } else {
    c += "; SameSite=Lax";
  }
  return c;
}

}  // namespace gatehouse::proxy
