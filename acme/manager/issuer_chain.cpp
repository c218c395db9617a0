#include "manager/issuer_chain.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "storage/storage_keys.h"

namespace gatehouse::acme {

namespace {
// One issuer's certificate for `name`; nullopt when it has none, or none that names it and
// is still valid (or expired, with `how.acceptExpired`). Throws a message naming the file when
// a file is damaged.
std::optional<StoredCertificate> loadOne(FileStorage& storage, const std::string& issuerKey,
                                         const std::string& name, size_t position, StoredLookup how) {
  const std::string crtKey = storage_keys::siteCert(issuerKey, name);
  const std::string keyKey = storage_keys::sitePrivateKey(issuerKey, name);
  auto crt = storage.load(crtKey);
  auto key = storage.load(keyKey);
  if (!crt || !key) {
    return std::nullopt;
  }
  CertificateInfo info;
  try {
    info = readCertificateInfo(*crt);
  } catch (const std::exception& e) {
    throw std::runtime_error(crtKey + ": " + e.what());
  }
  std::string recovered;
  if (!certificateMatchesKey(*crt, *key)) {
    if (!how.completeInterrupted) {
      throw std::runtime_error(keyKey + ": not the private key of " + crtKey + " (or not a private key)");
    }
    // A kill between storeIssued's renames leaves one file new and the other's new version
    // staged beside it: finish the save rather than lose both.
    const std::string keyPem = *key;
    const std::string crtPem = *crt;
    if (storage.completeInterruptedStore(
            crtKey, [&](const std::string& c) { return certificateMatchesKey(c, keyPem); })) {
      recovered = crtKey;
    } else if (storage.completeInterruptedStore(
                   keyKey, [&](const std::string& k) { return certificateMatchesKey(crtPem, k); })) {
      recovered = keyKey;
    } else {
      throw std::runtime_error(keyKey + ": not the private key of " + crtKey + " (or not a private key)");
    }
    crt = storage.load(crtKey);
    key = storage.load(keyKey);
    if (!crt || !key || !certificateMatchesKey(*crt, *key)) {
      throw std::runtime_error(keyKey + ": changed while an interrupted save of " + crtKey +
                               " was completed");
    }
    info = readCertificateInfo(*crt);
  }
  if (std::find(info.names.begin(), info.names.end(), name) == info.names.end() ||
      (!how.acceptExpired && std::chrono::system_clock::now() >= info.notAfter)) {
    return std::nullopt;
  }
  return StoredCertificate{position, std::move(*crt), std::move(*key), std::move(info), std::move(recovered)};
}
}  // namespace

std::optional<StoredCertificate> loadNewestStored(FileStorage& storage,
                                                  const std::vector<std::string>& issuerKeys,
                                                  const std::string& name, std::vector<std::string>* problems,
                                                  StoredLookup how) {
  const auto now = std::chrono::system_clock::now();
  // A valid certificate beats an expired one; then the newest wins.
  auto better = [now](const StoredCertificate& a, const StoredCertificate& b) {
    const bool aValid = now < a.info.notAfter;
    if (aValid != (now < b.info.notAfter)) {
      return aValid;
    }
    return a.info.notBefore > b.info.notBefore;
  };
  std::optional<StoredCertificate> best;
  for (size_t i = 0; i < issuerKeys.size(); ++i) {
    std::optional<StoredCertificate> found;
    try {
      found = loadOne(storage, issuerKeys[i], name, i, how);
    } catch (const std::exception& e) {
      // A damaged file under one issuer does not hide another issuer's good certificate.
      if (problems == nullptr) {
        throw;
      }
      problems->emplace_back(e.what());
      continue;
    }
    if (found && (!best || better(*found, *best))) {
      best = std::move(found);
    }
  }
  return best;
}

void storeIssued(FileStorage& storage, const std::string& issuerKey, const std::string& name,
                 const std::vector<std::string>& sans, const IssuedCertificate& cert, const std::string& ca) {
  // certmagic's order ("sans" first); "ca" beside caddy 2.6.2's "url" as newer certmagic writes.
  const nlohmann::ordered_json meta = {{"sans", sans}, {"issuer_data", {{"url", cert.url}, {"ca", ca}}}};
  const std::string metaText = meta.dump(1, '\t');
  storage.storeAll({{storage_keys::sitePrivateKey(issuerKey, name), cert.keyPem},
                    {storage_keys::siteCert(issuerKey, name), cert.chainPem},
                    {storage_keys::siteMeta(issuerKey, name), metaText}});
}

}  // namespace gatehouse::acme
