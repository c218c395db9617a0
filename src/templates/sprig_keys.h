#pragma once
// Private keys as Sprig's genPrivateKey and the certificate functions handle them (OpenSSL):
// generation (RSA 4096, DSA L2048N256, ECDSA P-256, Ed25519), Sprig's PEM forms ("RSA/EC/DSA
// PRIVATE KEY", PKCS#8 "PRIVATE KEY" for Ed25519) and parsing those back.

#include <string>

#include "crypto/ossl_handles.h"

namespace gatehouse::templates {

// genPrivateKey's key types; nullopt-like empty handle for an unknown type.
acme::PkeyPtr generateSprigKey(const std::string& type);
// An RSA key of `bits` (the certificate functions' own keys are RSA 2048).
acme::PkeyPtr generateRsaKey(int bits);
// Sprig's pemBlockForKey.
std::string sprigKeyPem(EVP_PKEY* key);
// Go's pem.Decode: the type and DER of the first PEM block of `text`; false when none.
bool firstPemBlock(const std::string& text, std::string& type, std::string& der);
// Sprig's parsePrivateKeyPEM; throws TemplateError with its texts ("no PEM data in input").
acme::PkeyPtr parseSprigKeyPem(const std::string& pem);

}  // namespace gatehouse::templates
