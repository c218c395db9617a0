// Sprig's encryptAES / decryptAES: AES-256-CBC (OpenSSL), the key the password's first 32
// bytes zero-padded, a random IV in front, PKCS#7 padding, base64 (Go's StdEncoding). Like
// Sprig, decryption trusts the last byte as the padding length without checking the rest.

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>

#include "handlers/base64.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

constexpr size_t kBlock = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::array<unsigned char, 32> keyOf(const std::string& password) {
  std::array<unsigned char, 32> key{};
  std::copy_n(password.begin(), std::min(password.size(), key.size()), key.begin());
  return key;
}

// Whole blocks through AES-256-CBC with OpenSSL's padding off (the callers pad).
std::string cbc(bool encrypt, const std::string& password, const unsigned char* iv, const std::string& in) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  const auto key = keyOf(password);
  std::string out(in.size() + kBlock, '\0');
  int n = 0;
  int tail = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                       reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &tail) != 1) {
    throw TemplateError("crypto/aes: cipher failed");
  }
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

// Go's base64.StdEncoding.DecodeString, with its error position.
std::string goBase64Decode(const std::string& s) {
  size_t si = 0;
  for (; si < s.size(); ++si) {
    const char c = s[si];
    const bool alphabet =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!alphabet && c != '=' && c != '\r' && c != '\n') {
      throw TemplateError("illegal base64 data at input byte " + std::to_string(si));
    }
  }
  if (auto d = handlers::base64Decode(s)) {
    return *d;
  }
  // Valid characters but a bad length or padding: Go reports where the last quantum starts.
  size_t chars = 0;
  for (char c : s) {
    chars += (c != '\r' && c != '\n') ? 1 : 0;
  }
  throw TemplateError("illegal base64 data at input byte " + std::to_string(chars - chars % 4));
}

Value encryptAES(Args& a) {
  wantArgs(a, 2, "encryptAES");
  const std::string password = strval(a[0]);
  std::string plain = strval(a[1]);
  if (plain.empty()) {
    return Value("");
  }
  const size_t pad = kBlock - plain.size() % kBlock;
  plain.append(pad, static_cast<char>(pad));
  std::array<unsigned char, kBlock> iv{};
  if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
    throw TemplateError("crypto/rand: no randomness");
  }
  const std::string sealed = std::string(iv.begin(), iv.end()) + cbc(true, password, iv.data(), plain);
  return Value(handlers::base64Encode(sealed));
}

// Sprig's failures here are Go runtime panics; their texts are kept.
Value decryptAES(Args& a) {
  wantArgs(a, 2, "decryptAES");
  const std::string password = strval(a[0]);
  const std::string text = strval(a[1]);
  if (text.empty()) {
    return Value("");
  }
  const std::string raw = goBase64Decode(text);
  if (raw.size() < kBlock) {
    throw TemplateError("runtime error: slice bounds out of range [:16] with capacity " +
                        std::to_string(raw.size()));
  }
  const std::string body = raw.substr(kBlock);
  if (body.size() % kBlock != 0) {
    throw TemplateError("crypto/cipher: input not full blocks");
  }
  if (body.empty()) {
    throw TemplateError("runtime error: index out of range [-1]");
  }
  const std::string plain = cbc(false, password, reinterpret_cast<const unsigned char*>(raw.data()), body);
  const auto pad = static_cast<size_t>(static_cast<unsigned char>(plain.back()));
  if (pad > plain.size()) {
    throw TemplateError("runtime error: slice bounds out of range [:" +
                        std::to_string(static_cast<int64_t>(plain.size()) - static_cast<int64_t>(pad)) + "]");
  }
  return Value(plain.substr(0, plain.size() - pad));
}

Value randBytes(Args& a) {
  wantArgs(a, 1, "randBytes");
  const int64_t n = wantInt(a[0], "randBytes");
  if (n < 0 || n > 1 << 20) {
    throw TemplateError("runtime error: makeslice: len out of range");
  }
  std::string buf(static_cast<size_t>(n), '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(n)) != 1) {
    throw TemplateError("crypto/rand: no randomness");
  }
  return Value(handlers::base64Encode(buf));
}

}  // namespace

void addSprigAes(FuncMap& f) {
  f["encryptAES"] = encryptAES;
  f["decryptAES"] = decryptAES;
  f["randBytes"] = randBytes;
}

}  // namespace gatehouse::templates
