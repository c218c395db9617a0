#include "internal/local_ca.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "crypto/certificate_info.h"
#include "internal/x509_builder.h"
#include "storage/storage_keys.h"

namespace gatehouse::acme::internal {

using Clock = std::chrono::system_clock;

namespace ca_keys {
std::string prefix(const std::string& id) {
  return "pki/authorities/" + storage_keys::safe(id);
}
std::string rootCert(const std::string& id) {
  return prefix(id) + "/root.crt";
}
std::string rootKey(const std::string& id) {
  return prefix(id) + "/root.key";
}
std::string intermediateCert(const std::string& id) {
  return prefix(id) + "/intermediate.crt";
}
std::string intermediateKey(const std::string& id) {
  return prefix(id) + "/intermediate.key";
}
}  // namespace ca_keys

std::string expandCaName(const std::string& pattern, const std::string& caName, Clock::time_point now) {
  const std::time_t t = Clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const std::pair<std::string, std::string> subs[] = {{"{pki.ca.name}", caName},
                                                      {"{time.now.year}", std::to_string(tm.tm_year + 1900)}};
  std::string out = pattern;
  for (const auto& [from, to] : subs) {
    for (size_t pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos + to.size())) {
      out.replace(pos, from.size(), to);
    }
  }
  return out;
}

namespace {

// Caddy truncates NotBefore to the second; so does time_t.
struct Generated {
  X509Ptr cert;
  PrivateKey key;
};

Generated generate(CertKind kind, const std::string& cn, Clock::duration lifetime, const X509* issuer,
                   EVP_PKEY* issuerKey, Clock::time_point now) {
  PrivateKey key = PrivateKey::generate(KeyType::P256);
  CertRequest req;
  req.kind = kind;
  req.commonName = cn;
  req.notBefore = now;
  req.notAfter = now + lifetime;
  X509Ptr cert = signCertificate(req, key.get(), issuer, issuer != nullptr ? issuerKey : key.get());
  return Generated{std::move(cert), std::move(key)};
}

// Both written before either is replaced: one after the other, a failure between them (a
// full disk) left a new certificate beside the old key (or a root with no key), which the
// next start refuses ("does not match" / "is missing") until the files are fixed by hand.
void save(Storage& storage, const std::string& certKey, const std::string& keyKey, const Generated& g) {
  const std::string certPem = certificateToPem(g.cert.get());
  const std::string keyPem = g.key.toPem();
  storage.storeAll({{certKey, certPem}, {keyKey, keyPem}});
}

std::string loadRequired(Storage& storage, const std::string& key) {
  auto v = storage.load(key);
  if (!v) {
    throw std::runtime_error("local CA: " + key + " is missing from storage (" + storage.describe() + ")");
  }
  return *v;
}

}  // namespace

namespace {

std::string readPemFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("local CA: reading " + what + " " + path + ": " + std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct LoadedPair {
  X509Ptr cert;
  PrivateKey key;
};

// A user-supplied root or intermediate; its key must sign for its certificate.
LoadedPair loadPairFiles(const KeyPairFiles& files, const std::string& which) {
  const std::string certPem = readPemFile(files.certificate, which + " certificate");
  const std::string keyPem = readPemFile(files.privateKey, which + " key");
  X509Ptr cert = certificateFromPem(certPem);
  PrivateKey key = PrivateKey::fromPem(keyPem);
  if (!certificateMatchesKey(certPem, key.toPem())) {
    throw std::runtime_error("local CA: " + which + " key " + files.privateKey + " does not match " +
                             files.certificate);
  }
  return LoadedPair{std::move(cert), std::move(key)};
}

}  // namespace

void checkPairFiles(const KeyPairFiles& files, const std::string& which) {
  (void)loadPairFiles(files, which);
}

namespace {

// The root from storage, generated (and stored) on first use.
LoadedPair loadOrCreateRoot(Storage& storage, const LocalCaOptions& options, Clock::time_point now) {
  const std::string& id = options.id;
  if (auto pem = storage.load(ca_keys::rootCert(id))) {
    return LoadedPair{certificateFromPem(*pem),
                      PrivateKey::fromPem(loadRequired(storage, ca_keys::rootKey(id)))};
  }
  Generated g = generate(CertKind::Root, expandCaName(options.rootCommonName, options.name, now),
                         kRootLifetime, nullptr, nullptr, now);
  save(storage, ca_keys::rootCert(id), ca_keys::rootKey(id), g);
  return LoadedPair{std::move(g.cert), std::move(g.key)};
}

// The intermediate from storage unless it is due for renewal; else a new one signed by
// the root, stored.
LoadedPair loadOrCreateIntermediate(Storage& storage, const LocalCaOptions& options, const LoadedPair& root,
                                    Clock::time_point now) {
  const std::string& id = options.id;
  if (auto pem = storage.load(ca_keys::intermediateCert(id))) {
    X509Ptr loaded = certificateFromPem(*pem);
    if (!caNeedsRenewal(loaded.get(), now)) {
      PrivateKey key = PrivateKey::fromPem(loadRequired(storage, ca_keys::intermediateKey(id)));
      if (!certificateMatchesKey(*pem, key.toPem())) {
        throw std::runtime_error("local CA: " + ca_keys::intermediateKey(id) +
                                 " does not match its certificate");
      }
      return LoadedPair{std::move(loaded), std::move(key)};
    }
  }
  Generated g =
      generate(CertKind::Intermediate, expandCaName(options.intermediateCommonName, options.name, now),
               options.intermediateLifetime, root.cert.get(), root.key.get(), now);
  save(storage, ca_keys::intermediateCert(id), ca_keys::intermediateKey(id), g);
  return LoadedPair{std::move(g.cert), std::move(g.key)};
}

}  // namespace

LocalCa LocalCa::loadOrCreate(Storage& storage, const LocalCaOptions& options, Clock::time_point now) {
  if (options.intermediateLifetime >= kRootLifetime) {
    throw std::runtime_error("local CA: intermediate certificate lifetime must be less than the root's");
  }
  LoadedPair root =
      options.root ? loadPairFiles(*options.root, "root") : loadOrCreateRoot(storage, options, now);
  LoadedPair inter = options.intermediate ? loadPairFiles(*options.intermediate, "intermediate")
                                          : loadOrCreateIntermediate(storage, options, root, now);
  return LocalCa(options, std::move(root.cert), std::move(root.key), std::move(inter.cert),
                 std::move(inter.key));
}

}  // namespace gatehouse::acme::internal
