// Sprig's certificate functions (genCA, genSelfSignedCert, genSignedCert, their *WithKey
// forms, buildCustomCert) through OpenSSL, with the template Sprig hands Go's x509: a
// random 128-bit serial, CN-only subject, days of validity from now, digitalSignature +
// keyEncipherment (+ certSign for a CA), server and client auth, basic constraints, SANs,
// and Go's key identifiers (SKID on a CA, AKID from the issuer's SKID).

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "handlers/base64.h"
#include "templates/sprig.h"
#include "templates/sprig_keys.h"

namespace gatehouse::templates {

namespace {

// Sprig's `certificate` struct: fields Cert and Key (PEM text).
class CertificateObject final : public Object {
 public:
  CertificateObject(std::string cert, std::string key) : cert_(std::move(cert)), key_(std::move(key)) {}
  [[nodiscard]] std::string typeName() const override { return "sprig.certificate"; }
  [[nodiscard]] std::string print() const override { return "{" + cert_ + " " + key_ + "}"; }
  std::optional<Value> get(std::string_view name, const Args& args) override {
    if ((name == "Cert" || name == "Key") && !args.empty()) {
      throw TemplateError(std::string(name) + " has arguments but cannot be invoked as function");
    }
    if (name == "Cert") {
      return Value(cert_);
    }
    if (name == "Key") {
      return Value(key_);
    }
    return std::nullopt;
  }
  [[nodiscard]] const std::string& cert() const { return cert_; }
  [[nodiscard]] const std::string& key() const { return key_; }

 private:
  std::string cert_, key_;
};

Value certificateValue(std::string cert, std::string key) {
  return Value(std::shared_ptr<Object>(std::make_shared<CertificateObject>(std::move(cert), std::move(key))));
}

// The []interface{} parameters (nil is empty); each item must be a string.
std::vector<std::string> stringItems(const Value& v, const char* what) {
  std::vector<std::string> out;
  if (v.isNil()) {
    return out;
  }
  if (!v.isList()) {
    throw TemplateError("wrong type for value; expected []interface {}; got " + kindName(v));
  }
  for (const auto& item : v.asList()) {
    if (!item.isString()) {
      throw TemplateError(std::string(what) + printValue(item) + " is not a string");
    }
    out.push_back(item.asString());
  }
  return out;
}

struct Template {
  std::string cn;
  std::vector<std::string> ips, dns;
  int64_t days = 0;
  bool ca = false;
};

void addExtension(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  acme::X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1) {
    ERR_clear_error();
    throw TemplateError("error creating certificate: cannot add extension " + value);
  }
}

bool isDsa(EVP_PKEY* k) {
  return EVP_PKEY_get_base_id(k) == EVP_PKEY_DSA;
}

// x509.CreateCertificate of `t` for `key`, signed by `signerKey` as `issuer` (nullptr: self-signed).
std::string createCertificate(const Template& t, EVP_PKEY* key, X509* issuer, EVP_PKEY* signerKey) {
  if (isDsa(signerKey)) {
    throw TemplateError(
        "error creating certificate: x509: certificate private key does not implement crypto.Signer");
  }
  if (isDsa(key)) {
    throw TemplateError("error creating certificate: x509: unsupported public key type: *dsa.PublicKey");
  }
  acme::X509Ptr x(X509_new());
  acme::BignumPtr serial(BN_new());
  acme::BignumPtr bound(BN_new());
  if (!x || !serial || !bound || BN_lshift(bound.get(), BN_value_one(), 128) != 1 ||
      BN_rand_range(serial.get(), bound.get()) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())) == nullptr ||
      X509_set_version(x.get(), 2) != 1) {
    ERR_clear_error();
    throw TemplateError("error creating certificate: serial number");
  }
  X509_NAME* subject = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(t.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_time_adj_ex(X509_getm_notAfter(x.get()), static_cast<int>(t.days), 0, nullptr);
  X509_set_pubkey(x.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  addExtension(x.get(), &ctx, NID_key_usage,
               t.ca ? "critical,digitalSignature,keyEncipherment,keyCertSign"
                    : "critical,digitalSignature,keyEncipherment");
  addExtension(x.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
  addExtension(x.get(), &ctx, NID_basic_constraints, t.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (t.ca) {
    addExtension(x.get(), &ctx, NID_subject_key_identifier, "hash");
  }
  if (issuer != nullptr && X509_get0_subject_key_id(issuer) != nullptr) {
    addExtension(x.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  }
  std::string sans;
  for (const auto& d : t.dns) {
    sans += (sans.empty() ? "" : ",") + std::string("DNS:") + d;
  }
  for (const auto& ip : t.ips) {
    sans += (sans.empty() ? "" : ",") + std::string("IP:") + ip;
  }
  if (!sans.empty()) {
    addExtension(x.get(), &ctx, NID_subject_alt_name, sans);
  }
  const int id = EVP_PKEY_get_base_id(signerKey);
  const EVP_MD* md = (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(x.get(), signerKey, md) <= 0) {
    ERR_clear_error();
    throw TemplateError("error creating certificate: signing failed");
  }
  acme::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x.get()) != 1) {
    ERR_clear_error();
    throw TemplateError("error pem-encoding certificate");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Go's net.ParseIP: dotted IPv4 or IPv6 text, nothing else.
void checkIps(const std::vector<std::string>& ips) {
  for (const auto& ip : ips) {
    acme::Asn1OctetPtr parsed(a2i_IPADDRESS(ip.c_str()));
    if (!parsed || ip.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      ERR_clear_error();
      throw TemplateError("error parsing ip: " + ip);
    }
  }
}

Template baseTemplate(const Args& a, size_t firstList, bool ca) {
  Template t;
  t.cn = strval(a[0]);
  t.ca = ca;
  if (!ca) {
    t.ips = stringItems(a[firstList], "error parsing ip: ");
    t.dns = stringItems(a[firstList + 1], "error processing alternate dns name: ");
    checkIps(t.ips);
  }
  const Value& days = a[ca ? 1 : firstList + 2];
  t.days = wantInt(days, "days");
  return t;
}

acme::PkeyPtr keyArg(const Value& v) {
  try {
    return parseSprigKeyPem(strval(v));
  } catch (const TemplateError& e) {
    throw TemplateError(std::string("parsing private key: ") + e.what());
  }
}

Value selfSigned(const Template& t, acme::PkeyPtr key) {
  return certificateValue(createCertificate(t, key.get(), nullptr, key.get()), sprigKeyPem(key.get()));
}

const CertificateObject& caArg(const Value& v) {
  auto* c = v.isObject() ? dynamic_cast<CertificateObject*>(&v.asObject()) : nullptr;
  if (c == nullptr) {
    throw TemplateError("wrong type for value; expected sprig.certificate; got " + kindName(v));
  }
  return *c;
}

Value signedBy(const Template& t, acme::PkeyPtr key, const CertificateObject& ca) {
  acme::BioPtr bio(BIO_new_mem_buf(ca.cert().data(), static_cast<int>(ca.cert().size())));
  acme::X509Ptr issuer(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!issuer) {
    ERR_clear_error();
    throw TemplateError("unable to decode certificate");
  }
  acme::PkeyPtr signer;
  try {
    signer = parseSprigKeyPem(ca.key());
  } catch (const TemplateError& e) {
    throw TemplateError(std::string("error parsing private key: ") + e.what());
  }
  return certificateValue(createCertificate(t, key.get(), issuer.get(), signer.get()),
                          sprigKeyPem(key.get()));
}

Value buildCustomCert(Args& a) {
  wantArgs(a, 2, "buildCustomCert");
  auto cert = handlers::base64Decode(strval(a[0]));
  if (!cert) {
    throw TemplateError("unable to decode base64 certificate");
  }
  auto key = handlers::base64Decode(strval(a[1]));
  if (!key) {
    throw TemplateError("unable to decode base64 private key");
  }
  std::string type;
  std::string der;
  if (!firstPemBlock(*cert, type, der)) {
    throw TemplateError("unable to decode certificate");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  acme::X509Ptr parsed(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!parsed) {
    ERR_clear_error();
    throw TemplateError("error parsing certificate: decodedCert.Bytes: x509: malformed certificate");
  }
  try {
    parseSprigKeyPem(*key);
  } catch (const TemplateError& e) {
    throw TemplateError(std::string("error parsing private key: ") + e.what());
  }
  return certificateValue(*cert, *key);
}

}  // namespace

void addSprigCerts(FuncMap& f) {
  f["genCA"] = [](Args& a) {
    wantArgs(a, 2, "genCA");
    return selfSigned(baseTemplate(a, 1, true), generateRsaKey(2048));
  };
  f["genCAWithKey"] = [](Args& a) {
    wantArgs(a, 3, "genCAWithKey");
    return selfSigned(baseTemplate(a, 1, true), keyArg(a[2]));
  };
  f["genSelfSignedCert"] = [](Args& a) {
    wantArgs(a, 4, "genSelfSignedCert");
    return selfSigned(baseTemplate(a, 1, false), generateRsaKey(2048));
  };
  f["genSelfSignedCertWithKey"] = [](Args& a) {
    wantArgs(a, 5, "genSelfSignedCertWithKey");
    const Template t = baseTemplate(a, 1, false);
    return selfSigned(t, keyArg(a[4]));
  };
  f["genSignedCert"] = [](Args& a) {
    wantArgs(a, 5, "genSignedCert");
    const Template t = baseTemplate(a, 1, false);
    return signedBy(t, generateRsaKey(2048), caArg(a[4]));
  };
  f["genSignedCertWithKey"] = [](Args& a) {
    wantArgs(a, 6, "genSignedCertWithKey");
    const Template t = baseTemplate(a, 1, false);
    const auto& ca = caArg(a[4]);
    return signedBy(t, keyArg(a[5]), ca);
  };
  f["buildCustomCert"] = buildCustomCert;
}

}  // namespace gatehouse::templates
