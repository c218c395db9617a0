#include "tls/server_tls.h"

#include <openssl/err.h>
#include <openssl/tls1.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "tls/certificate_support.h"
#include "tls/client_hello_query.h"

namespace gatehouse::tls {

namespace {

constexpr unsigned char kSessionIdContext[] = "gatehouse";

// The host_name entry of a ClientHello's server_name extension (RFC 6066 section 3), as sent.
std::string clientHelloServerName(SSL* ssl) {
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) != 1 || len < 5) {
    return {};
  }
  size_t listLen = (static_cast<size_t>(p[0]) << 8) | p[1];
  if (listLen + 2 != len || p[2] != TLSEXT_NAMETYPE_host_name) {
    return {};
  }
  size_t nameLen = (static_cast<size_t>(p[3]) << 8) | p[4];
  if (nameLen + 5 > len) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(p + 5), nameLen);
}

// Protocols a ClientHello offers in its ALPN extension.
std::vector<std::string_view> clientHelloAlpn(SSL* ssl) {
  std::vector<std::string_view> out;
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &p, &len) != 1 ||
      len < 2) {
    return out;
  }
  size_t i = 2;
  while (i < len) {
    size_t n = p[i];
    if (n == 0 || i + 1 + n > len) {
      break;
    }
    out.emplace_back(reinterpret_cast<const char*>(p + i + 1), n);
    i += 1 + n;
  }
  return out;
}

// A client certificate that fails verification: Go answers every such failure with a
// bad_certificate alert; OpenSSL would pick one from the X509 error (unknown_ca for an
// untrusted issuer). X509_V_ERR_CERT_REJECTED is the error it maps to bad_certificate.
int rejected(X509_STORE_CTX* ctx) {
  X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
  return 0;
}

HandshakeState* stateOf(SSL* ssl) {
  return static_cast<HandshakeState*>(SSL_get_app_data(ssl));
}

}  // namespace

ServerTls::ServerTls(ServerTlsOptions options)
    : options_(std::move(options)), ctx_(SSL_CTX_new(TLS_server_method())) {
  if (!ctx_) {
    throw std::runtime_error("cannot create a TLS context");
  }
  SSL_CTX* c = ctx_.get();
  SSL_CTX_set_app_data(c, this);
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
  // Server order, but ChaCha20 first for a client that puts it first (Go's aesgcmPreferred).
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                             SSL_OP_PRIORITIZE_CHACHA);
  if (SSL_CTX_set_ciphersuites(c, kTls13Suites) != 1 || SSL_CTX_set_cipher_list(c, kDefaultCipherList) != 1 ||
      SSL_CTX_set1_groups_list(c, kDefaultGroups) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL refused the default TLS parameters");
  }
  // Tickets only, as Go: no server-side session cache to share between workers.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(c, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  if (options_.tickets) {
    SSL_CTX_set_num_tickets(c, 1);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(c, &ServerTls::onTicketKey);
  } else {
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(c, 0);
  }
  SSL_CTX_set_client_hello_cb(c, &ServerTls::onClientHello, this);
  // OCSP: staple what the chosen certificate carries (Certificate::useOn set it), when the
  // client asked; without one, answer without a staple. Never fails a handshake.
  SSL_CTX_set_tlsext_status_cb(
      c, +[](SSL* ssl, void*) -> int {
        const unsigned char* resp = nullptr;
        return SSL_get_tlsext_status_ocsp_resp(ssl, &resp) > 0 ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
      });
  SSL_CTX_set_alpn_select_cb(c, &ServerTls::onAlpn, this);
  // insecure_secrets_log: only when a policy asks, so no other handshake formats its secrets.
  if (std::any_of(options_.policies.begin(), options_.policies.end(),
                  [](const auto& p) { return p.keyLog; })) {
    SSL_CTX_set_keylog_callback(c, &ServerTls::onKeyLog);
  }
}

SslPtr ServerTls::newSsl(HandshakeState& state) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (ssl) {
    SSL_set_app_data(ssl.get(), &state);
    SSL_set_accept_state(ssl.get());
  }
  return ssl;
}

int ServerTls::onTicketKey(SSL* ssl, unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
                           EVP_MAC_CTX* mac, int encrypt) {
  auto* self = static_cast<ServerTls*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  return TicketKeyRing::onTicketKey(ssl, name, iv, cipher, mac, encrypt, *self->options_.tickets);
}

void ServerTls::onKeyLog(const SSL* ssl, const char* line) {
  // The policy was chosen in the ClientHello callback, before any secret exists.
  const auto* state = static_cast<const HandshakeState*>(SSL_get_app_data(ssl));
  if (state != nullptr && state->policy != nullptr && state->policy->keyLog) {
    state->policy->keyLog->write(line);
  }
}

int ServerTls::onClientHello(SSL* ssl, int* alert, void* arg) {
  HandshakeState* state = stateOf(ssl);
  if (state == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return static_cast<const ServerTls*>(arg)->clientHello(ssl, *state, alert);
}

int ServerTls::clientHello(SSL* ssl, HandshakeState& state, int* alert) const {
  state.serverName = clientHelloServerName(ssl);
  std::transform(state.serverName.begin(), state.serverName.end(), state.serverName.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (!state.serverName.empty() && state.serverName.back() == '.') {
    // RFC 6066 forbids the trailing dot; Go's crypto/tls (so Caddy) refuses such a
    // ClientHello as malformed with an unexpected_message alert.
    *alert = SSL_AD_UNEXPECTED_MESSAGE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  const auto offered = clientHelloAlpn(ssl);
  if (offered.size() == 1 && offered.front() == kAcmeTlsAlpn) {
    // TLS-ALPN-01: only the challenge certificate may answer (RFC 8737 section 3).
    CertificatePtr cert = state.storedChallengeCert;
    if (!cert && options_.challenges) {
      cert = options_.challenges->challengeCertificate(state.serverName);
    }
    if (!cert && !state.storedChallengeAsked && !state.serverName.empty() && options_.challenges &&
        options_.challenges->looksUpStored()) {
      // Perhaps another server sharing the storage presented it (certmagic's distributed
      // solving): read off the loop, then OpenSSL calls this callback again.
      state.storedChallengeAsked = true;
      state.challenges = options_.challenges;
      state.waitingFor = HandshakeState::Wait::StoredChallenge;
      return SSL_CLIENT_HELLO_RETRY;
    }
    if (!cert || !cert->useOn(ssl)) {
      *alert = SSL_AD_UNRECOGNIZED_NAME;
      return SSL_CLIENT_HELLO_ERROR;
    }
    state.acmeChallenge = true;
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  const ConnectionPolicy* policy = nullptr;
  for (const auto& p : options_.policies) {
    if (p.matches(state.serverName)) {
      policy = &p;
      break;
    }
  }
  if (policy == nullptr || policy->drop) {
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_CLIENT_HELLO_ERROR;
  }
  state.policy = policy;
  // The policy's versions, ciphers and groups first: choosing among several certificates
  // asks what this connection can negotiate (Go's SupportsCertificate).
  if (!applyPolicy(ssl, *policy)) {
    ERR_clear_error();
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (pauseForManagers(ssl, *policy, state)) {
    return SSL_CLIENT_HELLO_RETRY;
  }
  CertificatePtr cert =
      state.managerAnswer.cert ? state.managerAnswer.cert : selectCertificate(ssl, *policy, state);
  if (!cert && !state.onDemandAsked && options_.onDemand) {
    state.onDemandName = onDemandName(*policy, state);
    if (!state.onDemandName.empty()) {
      // Pause: the connection asks for the certificate and drives the handshake again once
      // it is there (or refused); OpenSSL then calls this callback a second time.
      state.onDemandAsked = true;
      state.onDemand = options_.onDemand.get();
      state.waitingFor = HandshakeState::Wait::OnDemand;
      return SSL_CLIENT_HELLO_RETRY;
    }
  }
  if (!cert && state.serverName.empty()) {
    state.noSniFailure = "no certificate for a ClientHello without SNI (tried the local address '" +
                         state.localIp + "', default_sni '" + policy->defaultSni + "', fallback_sni '" +
                         policy->fallbackSni + "'); set default_sni or fallback_sni to choose one";
  }
  if (!cert || !cert->useOn(ssl)) {
    // Go answers "no certificate available" with an internal_error alert, but in TLS 1.3
    // it chooses the key-exchange group first: no shared group is a handshake_failure.
    ERR_clear_error();
    *alert = tls13WithoutSharedGroup(ssl, *policy) ? SSL_AD_HANDSHAKE_FAILURE : SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

std::string ServerTls::onDemandName(const ConnectionPolicy& policy, const HandshakeState& state) const {
  // Without SNI, Caddy puts default_sni in its place, and certmagic then takes the local address.
  const std::string& first = !state.serverName.empty()    ? state.serverName
                             : !policy.defaultSni.empty() ? policy.defaultSni
                                                          : state.localIp;
  for (const std::string* name : {&first, &policy.fallbackSni}) {
    if (!name->empty() && options_.onDemand->covers(*name)) {
      return *name;
    }
  }
  return "";
}

CertificatePtr ServerTls::selectFor(SSL* ssl, const ConnectionPolicy& policy, const std::string& name,
                                    const std::string& sni) const {
  auto index = options_.store->snapshot();
  std::vector<CertificatePtr> choices;
  if (const auto* hit = index->exact(name)) {
    choices = *hit;
  } else if (!policy.anyTag.empty() || !policy.allTags.empty()) {
    // certmagic hands a custom selector (Caddy's certificate_selection) every cached
    // certificate when none carries the name; the policy's tags then filter them.
    choices = index->all();
  }
  std::erase_if(choices, [&](const CertificatePtr& c) { return !policy.selects(*c); });
  return defaultCertificateChoice(ssl, choices, policy, sni);
}

CertificatePtr ServerTls::pick(SSL* ssl, const ConnectionPolicy& policy, const std::string& name,
                               const std::string& sni) const {
  if (name.empty()) {
    return nullptr;
  }
  if (CertificatePtr c = selectFor(ssl, policy, name, sni)) {
    return c;
  }
  // certmagic's wildcard candidates: labels replaced by '*' one more at a time, from the
  // left ("a.b.test" -> "*.b.test" -> "*.*.test" -> "*.*.*").
  std::vector<std::string_view> labels;
  for (size_t start = 0;;) {
    const size_t dot = name.find('.', start);
    labels.push_back(std::string_view(name).substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  for (size_t stars = 1; stars <= labels.size(); ++stars) {
    std::string candidate;
    for (size_t i = 0; i < labels.size(); ++i) {
      candidate += i == 0 ? "" : ".";
      candidate += i < stars ? std::string_view("*") : labels[i];
    }
    if (CertificatePtr c = selectFor(ssl, policy, candidate, sni)) {
      return c;
    }
  }
  return nullptr;
}

bool ServerTls::pauseForManagers(SSL* ssl, const ConnectionPolicy& policy, HandshakeState& state) const {
  if (state.managersAsked || !options_.managers || !options_.managers->covers(state.serverName)) {
    return false;
  }
  // certmagic's cache match: the SNI (exact or wildcard), or the local address without SNI.
  if (pick(ssl, policy, state.serverName.empty() ? state.localIp : state.serverName, state.serverName)) {
    return false;
  }
  state.managersAsked = true;
  state.managers = options_.managers.get();
  state.waitingFor = HandshakeState::Wait::Managers;
  state.managerQuery = clientHelloQuery(ssl, state.serverName);
  return true;
}

CertificatePtr ServerTls::selectCertificate(SSL* ssl, const ConnectionPolicy& policy,
                                            const HandshakeState& state) const {
  auto pick = [&](const std::string& name) { return this->pick(ssl, policy, name, state.serverName); };
  // certmagic's order: the SNI; without one, the local address, then default_sni (caddy
  // 2.6.2 serves a loopback IP site's certificate to a client without SNI even when
  // default_sni names another site); last fallback_sni. Caddy 2.6.2 never uses default_sni
  // for an SNI that matches nothing (alert internal_error): that is what fallback_sni is for.
  CertificatePtr cert = pick(state.serverName);
  if (!cert && state.serverName.empty()) {
    cert = pick(state.localIp);
  }
  if (!cert && state.serverName.empty() && !policy.defaultSni.empty()) {
    cert = pick(policy.defaultSni);
  }
  if (!cert && !policy.fallbackSni.empty()) {
    cert = pick(policy.fallbackSni);
  }
  return cert;
}

bool ServerTls::applyPolicy(SSL* ssl, const ConnectionPolicy& policy) const {
  if (SSL_set_min_proto_version(ssl, policy.minVersion) != 1 ||
      SSL_set_max_proto_version(ssl, policy.maxVersion) != 1) {
    return false;
  }
  if (!policy.cipherList.empty() && SSL_set_cipher_list(ssl, policy.cipherList.c_str()) != 1) {
    return false;
  }
  if (!policy.groups.empty() && SSL_set1_groups_list(ssl, policy.groups.c_str()) != 1) {
    return false;
  }
  const auto& auth = policy.clientAuth;
  switch (auth.mode) {
    case ClientAuthMode::None:
      return true;
    case ClientAuthMode::Request:
    case ClientAuthMode::VerifyIfGiven:
      SSL_set_verify(ssl, SSL_VERIFY_PEER, &ServerTls::onVerify);
      break;
    case ClientAuthMode::Require:
    case ClientAuthMode::RequireAndVerify:
      SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &ServerTls::onVerify);
      break;
  }
  if (auth.trustedCas && SSL_set1_verify_cert_store(ssl, auth.trustedCas.get()) != 1) {
    return false;
  }
  SSL_set0_CA_list(ssl, nullptr);  // a paused handshake applies the policy again
  // Tell the client which CAs we accept, so it can pick the right certificate.
  for (const auto& ca : auth.caNames) {
    if (SSL_add1_to_CA_list(ssl, ca.get()) != 1) {
      return false;
    }
  }
  return true;
}

int ServerTls::onVerify(int preverified, X509_STORE_CTX* ctx) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  HandshakeState* state = ssl ? stateOf(ssl) : nullptr;
  if (state == nullptr || state->policy == nullptr) {
    return 0;
  }
  const auto& auth = state->policy->clientAuth;
  if (auth.mode == ClientAuthMode::Request || auth.mode == ClientAuthMode::Require) {
    return 1;  // any certificate is accepted unverified, as Go's RequestClientCert
  }
  if (!auth.trustedLeaves.empty()) {
    X509* leaf = X509_STORE_CTX_get0_cert(ctx);
    const bool pinned = std::any_of(auth.trustedLeaves.begin(), auth.trustedLeaves.end(),
                                    [&](const X509Ptr& t) { return X509_cmp(t.get(), leaf) == 0; });
    if (!pinned) {
      return rejected(ctx);
    }
    if (!auth.trustedCas) {
      return 1;  // pinned leaves without CAs: the pin is the whole check
    }
  }
  return preverified != 0 ? 1 : rejected(ctx);
}

int ServerTls::onAlpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                      unsigned int inlen, void* arg) {
  const auto* self = static_cast<const ServerTls*>(arg);
  HandshakeState* state = stateOf(ssl);
  std::vector<std::string_view> offered;
  for (unsigned i = 0; i < inlen;) {
    unsigned n = in[i];
    if (n == 0 || i + 1 + n > inlen) {
      break;
    }
    offered.emplace_back(reinterpret_cast<const char*>(in + i + 1), n);
    i += 1 + n;
  }
  auto choose = [&](std::string_view want) {
    for (auto o : offered) {
      if (o == want) {
        *out = reinterpret_cast<const unsigned char*>(o.data());
        *outlen = static_cast<unsigned char>(o.size());
        return true;
      }
    }
    return false;
  };
  if (state != nullptr && state->acmeChallenge) {
    return choose(kAcmeTlsAlpn) ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  const auto& prefs =
      state && state->policy && !state->policy->alpn.empty() ? state->policy->alpn : self->alpn();
  bool http11Fallback = false;
  for (const auto& p : prefs) {  // server preference, as Go
    if (choose(p)) {
      return SSL_TLSEXT_ERR_OK;
    }
    http11Fallback = http11Fallback ||
                     (p == "h2" && std::find(offered.begin(), offered.end(), "http/1.1") != offered.end());
  }
  // Go refuses a client whose protocols are all unknown (no_application_protocol), except
  // that an http/1.1 client of an h2-only server proceeds without ALPN.
  return http11Fallback ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace gatehouse::tls
