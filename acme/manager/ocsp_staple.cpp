#include "manager/ocsp_staple.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "crypto/ossl_handles.h"

namespace gatehouse::acme {

namespace {

using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, OsslDeleter<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OsslDeleter<OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, OsslDeleter<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, OsslDeleter<OCSP_CERTID_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
struct StringStackFree {
  void operator()(STACK_OF(OPENSSL_STRING) * s) const { X509_email_free(s); }
};

// Leaf and the rest of the chain.
std::vector<X509Ptr> readChain(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(x);
  }
  ERR_clear_error();
  return out;
}

std::chrono::system_clock::time_point timeOf(const ASN1_GENERALIZEDTIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    throw std::runtime_error("OCSP response with an unreadable time");
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::optional<OcspQuery> ocspQueryFor(const std::string& chainPem) {
  auto chain = readChain(chainPem);
  if (chain.size() < 2) {
    return std::nullopt;
  }
  std::unique_ptr<STACK_OF(OPENSSL_STRING), StringStackFree> urls(X509_get1_ocsp(chain[0].get()));
  if (!urls || sk_OPENSSL_STRING_num(urls.get()) == 0) {
    return std::nullopt;
  }
  OcspQuery q;
  q.url = sk_OPENSSL_STRING_value(urls.get(), 0);
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, chain[0].get(), chain[1].get());
  OcspRequestPtr req(OCSP_REQUEST_new());
  if (id == nullptr || !req || OCSP_request_add0_id(req.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    ERR_clear_error();
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_OCSP_REQUEST(req.get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  q.requestDer.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return q;
}

OcspStaple checkOcspResponse(const std::string& der, const std::string& chainPem) {
  auto chain = readChain(chainPem);
  if (chain.size() < 2) {
    throw std::runtime_error("chain without an issuer");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp) {
    ERR_clear_error();
    throw std::runtime_error("not an OCSP response");
  }
  if (OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    throw std::runtime_error(std::string("responder said ") +
                             OCSP_response_status_str(OCSP_response_status(resp.get())));
  }
  OcspBasicPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) {
    ERR_clear_error();
    throw std::runtime_error("OCSP response without a basic response");
  }
  // Signed by the issuer itself or by a responder certificate the issuer signed.
  X509StackPtr certs(sk_X509_new_null());
  X509StorePtr store(X509_STORE_new());
  for (size_t i = 1; i < chain.size(); ++i) {
    X509_up_ref(chain[i].get());
    sk_X509_push(certs.get(), chain[i].get());
  }
  X509_STORE_add_cert(store.get(), chain[1].get());
  if (OCSP_basic_verify(basic.get(), certs.get(), store.get(), OCSP_PARTIAL_CHAIN) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OCSP response signature does not verify against the issuer");
  }
  OcspCertIdPtr id(OCSP_cert_to_id(nullptr, chain[0].get(), chain[1].get()));
  int status = -1;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked = nullptr;
  ASN1_GENERALIZEDTIME* thisUpd = nullptr;
  ASN1_GENERALIZEDTIME* nextUpd = nullptr;
  if (!id ||
      OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked, &thisUpd, &nextUpd) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OCSP response is not about this certificate");
  }
  if (OCSP_check_validity(thisUpd, nextUpd, 300, -1) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OCSP response is not current");
  }
  if (status == V_OCSP_CERTSTATUS_REVOKED) {
    throw OcspRevoked(std::string("certificate status revoked") +
                      (reason >= 0 ? std::string(" (reason: ") + OCSP_crl_reason_str(reason) + ")" : ""));
  }
  if (status != V_OCSP_CERTSTATUS_GOOD) {
    throw std::runtime_error(std::string("certificate status ") + OCSP_cert_status_str(status));
  }
  OcspStaple out;
  out.der = der;
  out.thisUpdate = timeOf(thisUpd);
  out.nextUpdate = nextUpd != nullptr ? timeOf(nextUpd) : out.thisUpdate + std::chrono::hours(1);
  return out;
}

std::chrono::system_clock::time_point ocspRefreshTime(const OcspStaple& staple) {
  const auto half = staple.thisUpdate + (staple.nextUpdate - staple.thisUpdate) / 2;
  return std::max(half, std::chrono::system_clock::now() + std::chrono::minutes(1));
}

}  // namespace gatehouse::acme
