#include "protocol/chain_selection.h"

#include <openssl/pem.h>

#include <algorithm>

#include "crypto/certificate_info.h"
#include "crypto/ossl_handles.h"
#include "protocol/acme_order.h"

namespace gatehouse::acme {

std::vector<std::string> issuerCommonNames(const std::string& chainPem) {
  std::vector<std::string> out;
  for (const auto& pem : splitPemCertificates(chainPem)) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert)
      continue;
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_issuer_name(cert.get()), NID_commonName, cn, sizeof cn);
    out.emplace_back(cn);
  }
  return out;
}

std::string selectPreferredChain(const std::vector<std::string>& chains, const PreferredChains& prefs) {
  if (chains.empty())
    return {};
  auto contains = [](const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  for (const auto& chain : chains) {
    const auto issuers = issuerCommonNames(chain);
    if (!issuers.empty() && contains(prefs.rootCommonNames, issuers.back()))
      return chain;
    for (const auto& cn : issuers) {
      if (contains(prefs.anyCommonNames, cn))
        return chain;
    }
  }
  if (prefs.smallest) {
    return *std::min_element(chains.begin(), chains.end(),
                             [](const auto& a, const auto& b) { return a.size() < b.size(); });
  }
  return chains.front();
}

}  // namespace gatehouse::acme
