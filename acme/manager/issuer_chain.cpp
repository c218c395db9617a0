#include "manager/issuer_chain.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "storage/storage_keys.h"

namespace gatehouse::acme {

std::optional<StoredCertificate> loadNewestStored(FileStorage& storage,
                                                  const std::vector<std::string>& issuerKeys,
                                                  const std::string& name) {
  std::optional<StoredCertificate> best;
  for (size_t i = 0; i < issuerKeys.size(); ++i) {
    auto crt = storage.load(storage_keys::siteCert(issuerKeys[i], name));
    auto key = storage.load(storage_keys::sitePrivateKey(issuerKeys[i], name));
    if (!crt || !key) {
      continue;
    }
    CertificateInfo info = readCertificateInfo(*crt);
    if (std::find(info.names.begin(), info.names.end(), name) == info.names.end() ||
        std::chrono::system_clock::now() >= info.notAfter) {
      continue;
    }
    if (!best || info.notBefore > best->info.notBefore) {
      best = StoredCertificate{i, std::move(*crt), std::move(*key), std::move(info)};
    }
  }
  return best;
}

void storeIssued(FileStorage& storage, const std::string& issuerKey, const std::string& name,
                 const std::vector<std::string>& sans, const IssuedCertificate& cert, const std::string& ca) {
  storage.store(storage_keys::sitePrivateKey(issuerKey, name), cert.keyPem);
  storage.store(storage_keys::siteCert(issuerKey, name), cert.chainPem);
  // certmagic's order ("sans" first); "ca" beside caddy 2.6.2's "url" as newer certmagic writes.
  const nlohmann::ordered_json meta = {{"sans", sans}, {"issuer_data", {{"url", cert.url}, {"ca", ca}}}};
  storage.store(storage_keys::siteMeta(issuerKey, name), meta.dump(1, '\t'));
}

}  // namespace gatehouse::acme
