#include "provision/tls_provision.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "http/session_factory.h"
#include "log/process_log.h"
#include "provision/global_placeholders.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"

namespace gatehouse::provision {

using config::Json;

namespace {

void requireKnown(const Json& obj, const std::string& path, std::initializer_list<std::string_view> known) {
  if (!obj.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [key, _] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw ProvisionError(path + "." + key, "'" + key + "' is not supported yet");
    }
  }
}

std::vector<std::string> strings(const Json& v, const std::string& path) {
  std::vector<std::string> out;
  if (v.is_null()) {
    return out;
  }
  if (!v.is_array()) {
    throw ProvisionError(path, "expected an array of strings");
  }
  for (const auto& s : v) {
    if (!s.is_string()) {
      throw ProvisionError(path, "expected an array of strings");
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::string readText(const std::string& file, const std::string& path) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ProvisionError(path, "cannot read '" + file + "'");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

tls::CertificatePtr loadPair(const std::string& cert, const std::string& key, bool files,
                             std::vector<std::string> tags, const std::string& path) {
  try {
    return files ? tls::loadCertificateFiles(cert, key, std::move(tags))
                 : tls::loadCertificatePem(cert, key, std::move(tags));
  } catch (const std::invalid_argument& e) {
    throw ProvisionError(path, e.what());
  }
}

void loadCertificates(const Json& certs, const std::string& path, std::vector<LoadedCertificate>& out,
                      std::vector<std::string>& automate) {
  requireKnown(certs, path, {"load_files", "load_pem", "load_folders", "automate"});
  if (certs.contains("automate")) {
    for (auto name : strings(certs["automate"], path + ".automate")) {
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (std::find(automate.begin(), automate.end(), name) == automate.end()) {
        automate.push_back(std::move(name));
      }
    }
  }
  const bool files[] = {true, false};
  const char* keys[] = {"load_files", "load_pem"};
  for (int k = 0; k < 2; ++k) {
    if (!certs.contains(keys[k])) {
      continue;
    }
    const Json& list = certs[keys[k]];
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = path + "." + keys[k] + "[" + std::to_string(i) + "]";
      const Json& e = list[i];
      requireKnown(e, p, {"certificate", "key", "format", "tags"});
      if (e.contains("format") && e["format"] != "pem" && e["format"] != "") {
        throw ProvisionError(p + ".format", "only the pem format is supported");
      }
      if (!e.contains("certificate") || !e.contains("key") || !e["certificate"].is_string() ||
          !e["key"].is_string()) {
        throw ProvisionError(p, "needs \"certificate\" and \"key\"");
      }
      const std::string cert = e["certificate"].get<std::string>();
      auto loaded = loadPair(cert, e["key"].get<std::string>(), files[k],
                             strings(e.value("tags", Json()), p + ".tags"), p);
      out.push_back({std::move(loaded), files[k] ? readText(cert, p) : cert});
    }
  }
  if (certs.contains("load_folders")) {
    const auto folders = strings(certs["load_folders"], path + ".load_folders");
    for (size_t i = 0; i < folders.size(); ++i) {
      const std::string p = path + ".load_folders[" + std::to_string(i) + "]";
      std::error_code ec;
      std::vector<std::string> pems;
      for (auto it = std::filesystem::recursive_directory_iterator(folders[i], ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".pem") {
          pems.push_back(it->path().string());
        }
      }
      if (ec) {
        throw ProvisionError(p, "cannot read folder '" + folders[i] + "': " + ec.message());
      }
      std::sort(pems.begin(), pems.end());
      for (const auto& file : pems) {
        // Caddy's folder loader: each .pem bundle holds the chain and the key together.
        const std::string text = readText(file, p);
        out.push_back({loadPair(text, text, false, {}, p + " (" + file + ")"), text});
      }
    }
  }
}

std::shared_ptr<tls::TicketKeyRing> provisionTickets(const config::TlsApp* app, const Runtime* previous) {
  std::chrono::seconds rotation = std::chrono::hours(12);
  size_t keep = 4;
  if (app != nullptr && app->extra.contains("session_tickets")) {
    const Json& st = app->extra["session_tickets"];
    const std::string p = "apps.tls.session_tickets";
    requireKnown(st, p, {"disabled", "rotation_interval", "max_keys"});
    if (st.value("disabled", false)) {
      return nullptr;
    }
    if (st.contains("rotation_interval")) {
      rotation = std::chrono::duration_cast<std::chrono::seconds>(parseDuration(st["rotation_interval"], p));
      if (rotation.count() <= 0) {
        throw ProvisionError(p + ".rotation_interval", "must be positive");
      }
    }
    if (st.contains("max_keys")) {
      if (!st["max_keys"].is_number_integer() || st["max_keys"].get<int64_t>() < 1) {
        throw ProvisionError(p + ".max_keys", "expected a positive integer");
      }
      keep = st["max_keys"].get<size_t>();
    }
  }
  if (previous != nullptr && previous->ticketKeys && previous->ticketKeys->rotation() == rotation &&
      previous->ticketKeys->keep() == keep) {
    return previous->ticketKeys;
  }
  return std::make_shared<tls::TicketKeyRing>(rotation, keep);
}

// Go cipher suite names -> OpenSSL names, via OpenSSL's own IANA names.
std::string opensslCipher(const std::string& name, const std::string& path) {
  std::string want = name;
  if (want == "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" || want == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305") {
    want += "_SHA256";  // Go's legacy aliases
  }
  tls::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  STACK_OF(SSL_CIPHER)* all = SSL_CTX_get_ciphers(ctx.get());
  for (int i = 0; i < sk_SSL_CIPHER_num(all); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
    const char* iana = SSL_CIPHER_standard_name(c);
    if (iana != nullptr && want == iana) {
      if (std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3") {
        return {};
      }
      return SSL_CIPHER_get_name(c);
    }
  }
  if (want.starts_with("TLS_AES_") || want.starts_with("TLS_CHACHA20_")) {
    return {};  // TLS 1.3 suites: accepted and fixed, as in Go
  }
  throw ProvisionError(path, "unsupported cipher suite: " + name);
}

// Where Go (1.17+, AES hardware) ranks a TLS 1.2 suite: it picks from a configured list in
// this order, whatever order the list has (crypto/tls cipherSuitesPreferenceOrder).
size_t goCipherRank(std::string name) {
  static constexpr std::array<std::string_view, 22> kOrder = {
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
      "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
      "TLS_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_RSA_WITH_AES_128_CBC_SHA",
      "TLS_RSA_WITH_AES_256_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
      "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
      "TLS_RSA_WITH_AES_128_CBC_SHA256",
      "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
      "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
      "TLS_RSA_WITH_RC4_128_SHA",
  };
  if (name == "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" || name == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305") {
    name += "_SHA256";
  }
  const auto* it = std::find(kOrder.begin(), kOrder.end(), name);
  return static_cast<size_t>(it - kOrder.begin());
}

std::string opensslGroup(const std::string& name, const std::string& path) {
  if (name == "x25519") {
    return "X25519";
  }
  if (name == "secp256r1") {
    return "P-256";
  }
  if (name == "secp384r1") {
    return "P-384";
  }
  if (name == "secp521r1") {
    return "P-521";
  }
  if (name == "x25519mlkem768") {
    throw ProvisionError(path, "curve x25519mlkem768 is not supported yet (OpenSSL 3.0 has no ML-KEM)");
  }
  throw ProvisionError(path, "unsupported curve: " + name);
}

int protocolVersion(const Json& v, const std::string& path) {
  const std::string s = v.is_string() ? v.get<std::string>() : "";
  if (s == "tls1.2") {
    return TLS1_2_VERSION;
  }
  if (s == "tls1.3") {
    return TLS1_3_VERSION;
  }
  throw ProvisionError(path, "unsupported protocol '" + s + "' (use tls1.2 or tls1.3)");
}

std::vector<unsigned char> base64(const std::string& text, const std::string& path) {
  std::vector<unsigned char> out(text.size() / 4 * 3 + 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) {
    throw ProvisionError(path, "invalid base64");
  }
  size_t len = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) {
    --len;  // EVP_DecodeBlock counts padding as zero bytes
  }
  out.resize(len);
  return out;
}

tls::X509Ptr derCert(const std::string& b64, const std::string& path) {
  auto der = base64(b64, path);
  const unsigned char* p = der.data();
  tls::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) {
    throw ProvisionError(path, "not a DER certificate");
  }
  return cert;
}

std::vector<tls::X509Ptr> pemCerts(const std::string& file, const std::string& path) {
  const std::string text = readText(file, path);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())),
                                                &BIO_free);
  std::vector<tls::X509Ptr> out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(c);
  }
  ERR_clear_error();
  if (out.empty()) {
    throw ProvisionError(path, "no PEM certificate in '" + file + "'");
  }
  return out;
}

void addCa(tls::ClientAuthPolicy& auth, tls::X509Ptr cert) {
  if (!auth.trustedCas) {
    auth.trustedCas.reset(X509_STORE_new());
  }
  X509_STORE_add_cert(auth.trustedCas.get(), cert.get());
  auth.caNames.push_back(std::move(cert));
}

// verifiers: [{"verifier": "leaf", "leaf_certs_loaders": [{"loader": "file", "files": [...]}]}]
void addLeafVerifiers(const Json& verifiers, const std::string& path, tls::ClientAuthPolicy& auth) {
  if (!verifiers.is_array()) {
    throw ProvisionError(path, "expected an array");
  }
  for (size_t i = 0; i < verifiers.size(); ++i) {
    const std::string vp = path + "[" + std::to_string(i) + "]";
    const Json& v = verifiers[i];
    requireKnown(v, vp, {"verifier", "leaf_certs_loaders"});
    if (v.value("verifier", "") != "leaf") {
      throw ProvisionError(vp + ".verifier",
                           "verifier '" + v.value("verifier", "") + "' is not supported yet");
    }
    const Json loaders = v.value("leaf_certs_loaders", Json::array());
    for (size_t j = 0; j < loaders.size(); ++j) {
      const std::string lp = vp + ".leaf_certs_loaders[" + std::to_string(j) + "]";
      requireKnown(loaders[j], lp, {"loader", "files"});
      if (loaders[j].value("loader", "") != "file") {
        throw ProvisionError(lp + ".loader",
                             "leaf loader '" + loaders[j].value("loader", "") + "' is not supported yet");
      }
      for (const auto& f : strings(loaders[j].value("files", Json()), lp + ".files")) {
        for (auto& c : pemCerts(f, lp + ".files")) {
          auth.trustedLeaves.push_back(std::move(c));
        }
      }
    }
  }
}

tls::ClientAuthPolicy clientAuth(const Json& ca, const std::string& path) {
  requireKnown(
      ca, path,
      {"ca", "trusted_ca_certs", "trusted_ca_certs_pem_files", "trusted_leaf_certs", "verifiers", "mode"});
  tls::ClientAuthPolicy auth;
  for (const auto& b64 : strings(ca.value("trusted_ca_certs", Json()), path + ".trusted_ca_certs")) {
    addCa(auth, derCert(b64, path + ".trusted_ca_certs"));
  }
  for (const auto& f :
       strings(ca.value("trusted_ca_certs_pem_files", Json()), path + ".trusted_ca_certs_pem_files")) {
    for (auto& c : pemCerts(f, path + ".trusted_ca_certs_pem_files")) {
      addCa(auth, std::move(c));
    }
  }
  if (ca.contains("ca")) {
    const Json& pool = ca["ca"];
    const std::string pp = path + ".ca";
    const std::string provider = pool.value("provider", "");
    if (provider == "inline") {
      requireKnown(pool, pp, {"provider", "trusted_ca_certs"});
      for (const auto& b64 : strings(pool.value("trusted_ca_certs", Json()), pp + ".trusted_ca_certs")) {
        addCa(auth, derCert(b64, pp + ".trusted_ca_certs"));
      }
    } else if (provider == "file") {
      requireKnown(pool, pp, {"provider", "pem_files"});
      for (const auto& f : strings(pool.value("pem_files", Json()), pp + ".pem_files")) {
        for (auto& c : pemCerts(f, pp + ".pem_files")) {
          addCa(auth, std::move(c));
        }
      }
    } else {
      throw ProvisionError(pp + ".provider", "CA pool provider '" + provider + "' is not supported yet");
    }
  }
  for (const auto& b64 : strings(ca.value("trusted_leaf_certs", Json()), path + ".trusted_leaf_certs")) {
    auth.trustedLeaves.push_back(derCert(b64, path + ".trusted_leaf_certs"));
  }
  if (ca.contains("verifiers")) {
    addLeafVerifiers(ca["verifiers"], path + ".verifiers", auth);
  }
  const std::string mode = ca.value("mode", "");
  if (mode.empty()) {
    // Caddy: verify when something to verify against is configured, else just require.
    auth.mode = auth.trustedCas || !auth.trustedLeaves.empty() ? tls::ClientAuthMode::RequireAndVerify
                                                               : tls::ClientAuthMode::Require;
  } else if (mode == "request") {
    auth.mode = tls::ClientAuthMode::Request;
  } else if (mode == "require") {
    auth.mode = tls::ClientAuthMode::Require;
  } else if (mode == "verify_if_given") {
    auth.mode = tls::ClientAuthMode::VerifyIfGiven;
  } else if (mode == "require_and_verify") {
    auth.mode = tls::ClientAuthMode::RequireAndVerify;
  } else {
    throw ProvisionError(path + ".mode", "client auth mode not recognized: " + mode);
  }
  if ((auth.mode == tls::ClientAuthMode::VerifyIfGiven ||
       auth.mode == tls::ClientAuthMode::RequireAndVerify) &&
      !auth.trustedCas && auth.trustedLeaves.empty()) {
    throw ProvisionError(path, "mode '" + mode + "' needs trusted CA or leaf certificates");
  }
  return auth;
}

// insecure_secrets_log: placeholders replaced and the path made absolute as Caddy does;
// the file is opened (created 0600) now, so a bad path fails the config.
std::shared_ptr<tls::KeyLogFile> secretsLog(const Json& v, const std::string& path,
                                            const TlsAppRuntime& app) {
  if (!v.is_string()) {
    throw ProvisionError(path, "expected a string");
  }
  std::string file;
  try {
    file = replaceGlobalPlaceholders(v.get<std::string>());
  } catch (const std::runtime_error& e) {
    throw ProvisionError(path, e.what());
  }
  file = std::filesystem::absolute(file).lexically_normal().string();
  auto& shared = (*app.keyLogs)[file];
  if (!shared) {
    try {
      shared = tls::KeyLogFile::open(file);
    } catch (const std::system_error& e) {
      std::string reason = e.code().message();  // Go's wording: "open FILE: no such file or directory"
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
      throw ProvisionError(path, "open " + file + ": " + reason);
    }
  }
  log::logOwn(log::Level::Warn, "tls", "TLS SECURITY COMPROMISED: secrets logging is enabled!",
              Json{{"log_filename", file}});
  return shared;
}

tls::ConnectionPolicy compilePolicy(const Json& p, const std::string& path, const TlsAppRuntime& app) {
  requireKnown(
      p, path,
      {"match", "certificate_selection", "cipher_suites", "curves", "alpn", "protocol_min", "protocol_max",
       "drop", "client_authentication", "default_sni", "fallback_sni", "insecure_secrets_log"});
  tls::ConnectionPolicy out;
  if (p.contains("match")) {
    requireKnown(p["match"], path + ".match", {"sni"});
    for (auto name : strings(p["match"].value("sni", Json()), path + ".match.sni")) {
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      out.matchSni.push_back(std::move(name));
    }
  }
  if (p.contains("certificate_selection")) {
    const std::string cp = path + ".certificate_selection";
    requireKnown(p["certificate_selection"], cp, {"any_tag", "all_tags"});
    out.anyTag = strings(p["certificate_selection"].value("any_tag", Json()), cp + ".any_tag");
    out.allTags = strings(p["certificate_selection"].value("all_tags", Json()), cp + ".all_tags");
  }
  if (p.contains("cipher_suites")) {
    std::vector<std::pair<size_t, std::string>> ranked;
    for (const auto& name : strings(p["cipher_suites"], path + ".cipher_suites")) {
      ranked.emplace_back(goCipherRank(name), opensslCipher(name, path + ".cipher_suites"));
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string list;
    for (const auto& [rank, c] : ranked) {
      if (!c.empty() && (":" + list + ":").find(":" + c + ":") == std::string::npos) {
        list += (list.empty() ? "" : ":") + c;
      }
    }
    out.cipherList = list.empty() ? tls::kDefaultCipherList : list;
  }
  if (p.contains("curves")) {
    std::string groups;
    for (const auto& name : strings(p["curves"], path + ".curves")) {
      groups += (groups.empty() ? "" : ":") + opensslGroup(name, path + ".curves");
    }
    out.groups = groups;
  }
  out.alpn = strings(p.value("alpn", Json()), path + ".alpn");
  for (const auto& proto : out.alpn) {
    // A protocol we would negotiate but could not speak would leave the client hanging.
    if (proto != tls::kAcmeTlsAlpn && !http::sessionSupports(proto)) {
      throw ProvisionError(path + ".alpn", "ALPN protocol '" + proto + "' is not supported yet");
    }
  }
  if (p.contains("protocol_min")) {
    out.minVersion = protocolVersion(p["protocol_min"], path + ".protocol_min");
  }
  if (p.contains("protocol_max")) {
    out.maxVersion = protocolVersion(p["protocol_max"], path + ".protocol_max");
  }
  if (out.minVersion > out.maxVersion) {
    throw ProvisionError(path, "protocol_min cannot be greater than protocol_max");
  }
  out.drop = p.value("drop", false);
  if (p.contains("client_authentication")) {
    out.clientAuth = clientAuth(p["client_authentication"], path + ".client_authentication");
  }
  out.defaultSni = p.value("default_sni", "");
  out.fallbackSni = p.value("fallback_sni", "");
  if (p.contains("insecure_secrets_log") && p["insecure_secrets_log"] != "") {
    out.keyLog = secretsLog(p["insecure_secrets_log"], path + ".insecure_secrets_log", app);
  }
  return out;
}

}  // namespace

TlsAppRuntime provisionTlsApp(const config::Config& config, const Runtime* previous) {
  TlsAppRuntime out;
  out.store = std::make_shared<tls::CertificateStore>();
  const config::TlsApp* app = config.tls ? &*config.tls : nullptr;
  if (app != nullptr) {
    for (const auto& [key, _] : app->extra.items()) {
      if (key == "dns") {
        // Caddy 2.10's app-wide DNS provider (global `dns`); 2.6.2 names it per issuer.
        throw ProvisionError(
            "apps.tls.dns",
            "the global DNS provider (Caddy 2.10+) is not supported yet: "
            "name the provider with `acme_dns PROVIDER ...` or a site's `tls { dns PROVIDER ... }`");
      }
      if (key != "session_tickets" && key != "disable_ocsp_stapling" && key != "disable_storage_clean") {
        throw ProvisionError("apps.tls." + key, "'" + key + "' is not supported yet");
      }
    }
    for (const auto& [key, _] : app->automationExtra.items()) {
      if (key == "on_demand" || key == "renew_interval" || key == "ocsp_interval" ||
          key == "storage_clean_interval") {
        // read with the automation policies (on_demand_provision.cpp) / by
        // provisionCertificateManager / by provisionStorageCleaning
        continue;
      }
      throw ProvisionError("apps.tls.automation." + key, "'" + key + "' is not supported yet");
    }
    if (!app->certificates.is_null()) {
      loadCertificates(app->certificates, "apps.tls.certificates", out.loaded, out.automate);
    }
    for (const auto& p : app->policies) {
      out.policies.push_back(&p);
    }
  }
  std::vector<tls::CertificatePtr> certs;
  for (const auto& l : out.loaded) {
    certs.push_back(l.cert);
  }
  out.store->replaceAll(std::move(certs));
  out.tickets = provisionTickets(app, previous);
  return out;
}

std::shared_ptr<const tls::ServerTls> provisionServerTls(const Json& policies, const std::string& path,
                                                         const TlsAppRuntime& app,
                                                         std::vector<std::string> alpn) {
  if (!policies.is_array()) {
    throw ProvisionError(path, "expected an array of connection policies");
  }
  tls::ServerTlsOptions options;
  for (size_t i = 0; i < policies.size(); ++i) {
    options.policies.push_back(compilePolicy(policies[i], path + "[" + std::to_string(i) + "]", app));
  }
  options.alpn = std::move(alpn);
  options.store = app.store;
  options.tickets = app.tickets;
  options.challenges = app.challenges;
  options.onDemand = app.onDemand;
  options.managers = app.managers;
  try {
    return std::make_shared<const tls::ServerTls>(std::move(options));
  } catch (const std::runtime_error& e) {
    throw ProvisionError(path, e.what());
  }
}

}  // namespace gatehouse::provision
