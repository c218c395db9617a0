#include "templates/sprig_keys.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <functional>

#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

struct PemDataFree {
  void operator()(char* p) const { OPENSSL_free(p); }
};
struct PemBytesFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

acme::PkeyPtr keygen(const char* algorithm, const std::function<bool(EVP_PKEY_CTX*)>& setup,
                     EVP_PKEY* params) {
  acme::PkeyCtxPtr ctx(params != nullptr ? EVP_PKEY_CTX_new_from_pkey(nullptr, params, nullptr)
                                         : EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || (setup && !setup(ctx.get())) ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    ERR_clear_error();
    throw TemplateError(std::string("failed to generate private key: ") + algorithm +
                        " key generation failed");
  }
  return acme::PkeyPtr(key);
}

acme::PkeyPtr dsaKey() {
  acme::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  EVP_PKEY* params = nullptr;
  if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_dsa_paramgen_bits(ctx.get(), 2048) != 1 ||
      EVP_PKEY_CTX_set_dsa_paramgen_q_bits(ctx.get(), 256) != 1 ||
      EVP_PKEY_paramgen(ctx.get(), &params) != 1) {
    ERR_clear_error();
    throw TemplateError("failed to generate dsa params: parameter generation failed");
  }
  acme::PkeyPtr owned(params);
  return keygen("DSA", nullptr, owned.get());
}

}  // namespace

bool firstPemBlock(const std::string& text, std::string& type, std::string& der) {
  acme::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ERR_clear_error();
    return false;
  }
  std::unique_ptr<char, PemDataFree> n(name), h(header);
  std::unique_ptr<unsigned char, PemBytesFree> d(data);
  type = name;
  der.assign(reinterpret_cast<const char*>(data), static_cast<size_t>(len));
  return true;
}

acme::PkeyPtr generateRsaKey(int bits) {
  return keygen(
      "RSA", [bits](EVP_PKEY_CTX* c) { return EVP_PKEY_CTX_set_rsa_keygen_bits(c, bits) == 1; }, nullptr);
}

acme::PkeyPtr generateSprigKey(const std::string& type) {
  if (type.empty() || type == "rsa") {
    return generateRsaKey(4096);
  }
  if (type == "dsa") {
    return dsaKey();
  }
  if (type == "ecdsa") {
    return keygen(
        "EC", [](EVP_PKEY_CTX* c) { return EVP_PKEY_CTX_set_group_name(c, "P-256") == 1; }, nullptr);
  }
  if (type == "ed25519") {
    return keygen("ED25519", nullptr, nullptr);
  }
  return nullptr;
}

std::string sprigKeyPem(EVP_PKEY* key) {
  acme::BioPtr bio(BIO_new(BIO_s_mem()));
  const int id = EVP_PKEY_get_base_id(key);
  // RSA, EC and DSA keys in their own ("traditional") forms, everything else PKCS#8.
  const bool traditional = id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_DSA;
  const int ok =
      traditional
          ? PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
          : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  if (!bio || ok != 1) {
    ERR_clear_error();
    throw TemplateError("error pem-encoding key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

acme::PkeyPtr parseSprigKeyPem(const std::string& pem) {
  std::string type;
  std::string der;
  if (!firstPemBlock(pem, type, der)) {
    throw TemplateError("no PEM data in input");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto len = static_cast<long>(der.size());
  EVP_PKEY* key = nullptr;
  std::string failure;
  if (type == "PRIVATE KEY") {
    key = d2i_AutoPrivateKey(nullptr, &p, len);
    failure = "decoding PEM as PKCS#8: ";
  } else if (!type.ends_with(" PRIVATE KEY")) {
    throw TemplateError("no private key data in PEM block of type " + type);
  } else if (const std::string kind = type.substr(0, type.size() - 12);
             kind == "RSA" || kind == "EC" || kind == "DSA") {
    key = d2i_PrivateKey(kind == "RSA"  ? EVP_PKEY_RSA
                         : kind == "EC" ? EVP_PKEY_EC
                                        : EVP_PKEY_DSA,
                         nullptr, &p, len);
    failure = "parsing " + kind + " private key from PEM: ";
  } else {
    throw TemplateError("invalid private key type " + type);
  }
  if (key == nullptr) {
    ERR_clear_error();
    throw TemplateError(failure + "malformed key");
  }
  return acme::PkeyPtr(key);
}

void addSprigKeys(FuncMap& f) {
  f["genPrivateKey"] = [](Args& a) {
    if (a.size() != 1) {
      throw TemplateError("wrong number of args for genPrivateKey: want 1 got " + std::to_string(a.size()));
    }
    const std::string type = strval(a[0]);
    try {
      auto key = generateSprigKey(type);
      return Value(key ? sprigKeyPem(key.get()) : "Unknown type " + type);
    } catch (const TemplateError& e) {
      return Value(std::string(e.what()));  // Sprig returns failures as the text
    }
  };
}

}  // namespace gatehouse::templates
