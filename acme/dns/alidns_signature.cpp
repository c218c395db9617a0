#include "dns/alidns_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "crypto/base64url.h"

namespace gatehouse::acme::dns::alidns {

std::string percentEncode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string canonicalizedQuery(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty())
      out += '&';
    out += percentEncode(name) + "=" + percentEncode(value);
  }
  return out;
}

std::string stringToSign(std::string_view method, const Params& params) {
  return std::string(method) + "&" + percentEncode("/") + "&" + percentEncode(canonicalizedQuery(params));
}

std::string signature(std::string_view accessKeySecret, std::string_view toSign) {
  const std::string key = std::string(accessKeySecret) + "&";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLen = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(toSign.data()), toSign.size(), mac, &macLen) == nullptr) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  return base64Std(std::string_view(reinterpret_cast<const char*>(mac), macLen));
}

std::string signedQuery(std::string_view method, const Params& params, std::string_view accessKeySecret) {
  return canonicalizedQuery(params) +
         "&Signature=" + percentEncode(signature(accessKeySecret, stringToSign(method, params)));
}

}  // namespace gatehouse::acme::dns::alidns
