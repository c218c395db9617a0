#include "storage/storage_clean_rules.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <cstring>
#include <ctime>
#include <memory>

#include "crypto/ossl_handles.h"

namespace gatehouse::acme {

namespace {

using Clock = std::chrono::system_clock;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OsslDeleter<OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, OsslDeleter<OCSP_BASICRESP_free>>;

std::optional<Clock::time_point> timeOf(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return std::nullopt;
  }
  return Clock::from_time_t(timegm(&tm));
}

// OpenSSL's PEM reader hands back what it allocated; these free it on every path.
struct PemBlock {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  ~PemBlock() {
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
};

}  // namespace

StapleState stapleState(std::string_view der, Clock::time_point now) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  // Trailing bytes make Go's parser refuse the response too.
  const bool whole = resp && p == reinterpret_cast<const unsigned char*>(der.data()) + der.size();
  if (!whole || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    ERR_clear_error();
    return StapleState::Unreadable;
  }
  OcspBasicPtr basic(OCSP_response_get1_basic(resp.get()));
  OCSP_SINGLERESP* single =
      basic && OCSP_resp_count(basic.get()) > 0 ? OCSP_resp_get0(basic.get(), 0) : nullptr;
  if (single == nullptr) {
    ERR_clear_error();
    return StapleState::Unreadable;
  }
  int reason = 0;
  ASN1_GENERALIZEDTIME* revoked = nullptr;
  ASN1_GENERALIZEDTIME* thisUpdate = nullptr;
  ASN1_GENERALIZEDTIME* nextUpdate = nullptr;
  OCSP_single_get0_status(single, &reason, &revoked, &thisUpdate, &nextUpdate);
  // No nextUpdate reads as Go's zero time, which every `now` is after.
  const auto next = timeOf(nextUpdate);
  return next && now <= *next ? StapleState::Current : StapleState::Expired;
}

StoredCertExpiry storedCertExpiry(std::string_view pem, const std::string& key) {
  StoredCertExpiry out;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PemBlock block;
  if (PEM_read_bio(bio.get(), &block.name, &block.header, &block.data, &block.len) != 1 ||
      std::strcmp(block.name, "CERTIFICATE") != 0) {
    ERR_clear_error();
    out.error = "certificate file " + key + " does not contain PEM-encoded certificate";
    return out;
  }
  const unsigned char* p = block.data;
  X509Ptr cert(d2i_X509(nullptr, &p, block.len));
  const auto notAfter = cert ? timeOf(X509_get0_notAfter(cert.get())) : std::nullopt;
  if (!notAfter) {
    out.error = "certificate file " + key + " is malformed; error parsing PEM: " + opensslError();
    return out;
  }
  out.notAfter = notAfter;
  return out;
}

bool expiredBeyondGrace(Clock::time_point notAfter, Clock::time_point now, std::chrono::nanoseconds grace) {
  return now >= notAfter && now - notAfter >= grace;
}

}  // namespace gatehouse::acme
