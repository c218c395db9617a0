#include "dns/aws_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>

namespace gatehouse::acme::dns::aws {

namespace {

std::string hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), len);
}

// Header values are signed trimmed, with inner runs of spaces folded to one.
std::string trimmedValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string signedHeaders(const Request& req) {
  std::string out;
  for (const auto& [name, _] : req.headers)
    out += (out.empty() ? "" : ";") + name;
  return out;
}

std::string scopeOf(std::string_view amzDate, std::string_view region, std::string_view service) {
  return std::string(amzDate.substr(0, 8)) + "/" + std::string(region) + "/" + std::string(service) +
         "/aws4_request";
}

}  // namespace

std::string uriEncode(std::string_view text, bool encodeSlash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash);
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string hexSha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return hex(md, len);
}

std::string canonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query)
    encoded.emplace_back(uriEncode(k), uriEncode(v));
  std::sort(encoded.begin(), encoded.end());  // by encoded name, then value (bytewise)
  std::string out;
  for (const auto& [k, v] : encoded)
    out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::string canonicalRequest(const Request& req) {
  std::string headers;
  for (const auto& [name, value] : req.headers)
    headers += name + ":" + trimmedValue(value) + "\n";
  return req.method + "\n" + (req.path.empty() ? "/" : req.path) + "\n" + canonicalQuery(req.query) + "\n" +
         headers + "\n" + signedHeaders(req) + "\n" + hexSha256(req.body);
}

std::string stringToSign(std::string_view amzDate, std::string_view scope, std::string_view canonical) {
  return "AWS4-HMAC-SHA256\n" + std::string(amzDate) + "\n" + std::string(scope) + "\n" +
         hexSha256(canonical);
}

std::string signingKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string key = hmacSha256("AWS4" + std::string(secret), date);
  key = hmacSha256(key, region);
  key = hmacSha256(key, service);
  return hmacSha256(key, "aws4_request");
}

std::string authorization(const Credentials& creds, std::string_view region, std::string_view service,
                          std::string_view amzDate, const Request& req) {
  const std::string scope = scopeOf(amzDate, region, service);
  const std::string key = signingKey(creds.secretAccessKey, amzDate.substr(0, 8), region, service);
  const std::string mac = hmacSha256(key, stringToSign(amzDate, scope, canonicalRequest(req)));
  return "AWS4-HMAC-SHA256 Credential=" + creds.accessKeyId + "/" + scope +
         ", SignedHeaders=" + signedHeaders(req) +
         ", Signature=" + hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

void sign(Request& req, const Credentials& creds, std::string_view region, std::string_view service,
          std::string_view amzDate) {
  req.headers["x-amz-date"] = std::string(amzDate);
  if (!creds.sessionToken.empty())
    req.headers["x-amz-security-token"] = creds.sessionToken;
  std::string value = authorization(creds, region, service, amzDate, req);
  req.headers["authorization"] = std::move(value);
}

}  // namespace gatehouse::acme::dns::aws
