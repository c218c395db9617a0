#include "server/certificate_signer.h"

#include <arpa/inet.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <set>

#include "crypto/csr.h"
#include "internal/x509_builder.h"
#include "server/acme_problem.h"

namespace gatehouse::acme::server {

namespace {

AcmeProblem badCsr(const std::string& detail) {
  return AcmeProblem("badCSR", detail, 400);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string ipText(const ASN1_OCTET_STRING* ip) {
  const int len = ASN1_STRING_length(ip);
  char buf[64];
  const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
  if (family < 0 || inet_ntop(family, ASN1_STRING_get0_data(ip), buf, sizeof buf) == nullptr) {
    throw badCsr("CSR has a malformed IP address");
  }
  return buf;
}

struct CsrNames {
  std::string commonName;
  std::set<std::string> names;  // SANs plus the CN, lower case
};

CsrNames namesOf(X509_REQ* req) {
  CsrNames out;
  X509_NAME* subject = X509_REQ_get_subject_name(req);
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    out.commonName.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                          static_cast<size_t>(ASN1_STRING_length(cn)));
    out.names.insert(lower(out.commonName));
  }
  std::unique_ptr<STACK_OF(X509_EXTENSION), void (*)(STACK_OF(X509_EXTENSION)*)> exts(
      X509_REQ_get_extensions(req),
      [](STACK_OF(X509_EXTENSION) * s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); });
  if (!exts) {
    return out;
  }
  GeneralNamesPtr sans(
      static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* gen = sk_GENERAL_NAME_value(sans.get(), i);
    if (gen->type == GEN_DNS) {
      out.names.insert(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gen->d.dNSName)),
                                         static_cast<size_t>(ASN1_STRING_length(gen->d.dNSName)))));
    } else if (gen->type == GEN_IPADD) {
      out.names.insert(ipText(gen->d.iPAddress));
    } else {
      throw badCsr("CSR has a subjectAltName of a type ACME cannot validate");
    }
  }
  return out;
}

}  // namespace

std::string signOrderCsr(const std::string& csrDer, const Order& order, const internal::LocalCa& ca,
                         const SigningPolicy& policy) {
  const auto* p = reinterpret_cast<const unsigned char*>(csrDer.data());
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(csrDer.size())));
  if (!req || p != reinterpret_cast<const unsigned char*>(csrDer.data()) + csrDer.size()) {
    throw badCsr("CSR is not a DER certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    throw badCsr("CSR signature does not verify");
  }
  const CsrNames csr = namesOf(req.get());
  std::set<std::string> wanted;
  for (const auto& id : order.identifiers) {
    wanted.insert(lower(id.value));
  }
  if (csr.names != wanted) {
    throw badCsr("CSR names do not match the order's identifiers");
  }
  const auto now = Clock::now();
  internal::CertRequest leaf;
  leaf.kind = internal::CertKind::Leaf;
  leaf.commonName = csr.commonName;
  for (const auto& id : order.identifiers) {
    leaf.names.push_back(id.value);
  }
  leaf.notBefore = order.notBefore.time_since_epoch().count() != 0 ? order.notBefore : now;
  leaf.notAfter =
      order.notAfter.time_since_epoch().count() != 0 ? order.notAfter : leaf.notBefore + policy.lifetime;
  const X509* issuer = policy.signWithRoot ? ca.root() : ca.intermediate();
  EVP_PKEY* issuerKey = policy.signWithRoot ? ca.rootKey() : ca.intermediateKey();
  // A leaf never outlives the certificate that signs it.
  leaf.notAfter = std::min(leaf.notAfter, internal::notAfterOf(issuer));
  X509Ptr cert = internal::signCertificate(leaf, key, issuer, issuerKey);
  return internal::certificateToPem(cert.get()) + internal::certificateToPem(issuer);
}

}  // namespace gatehouse::acme::server
