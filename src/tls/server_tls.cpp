#include "tls/server_tls.h"

#include <openssl/err.h>
#include <openssl/tls1.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "tls/alpn_negotiation.h"
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
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &p, &len) != 1 ||
      len < 2) {
    return {};
  }
  return alpnProtocols(p + 2, len - 2);
}

// A client certificate that fails verification: Go answers every such failure with a
// bad_certificate alert; OpenSSL would pick one from the X509 error (unknown_ca for an
// untrusted issuer). X509_V_ERR_CERT_REJECTED is the error it maps to bad_certificate.
int rejected(X509_STORE_CTX* ctx) {
  X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
  return 0;
}

std::string fromHex(std::string_view hex) {
  auto nibble = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return "";
    }
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
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
  // insecure_secrets_log writes what a policy asks for; every handshake passes through
  // for the one secret a late ALPN refusal needs (onAlpn). OpenSSL formats ~5 lines per
  // handshake for it, ~0.1% of a handshake's instructions.
  SSL_CTX_set_keylog_callback(c, &ServerTls::onKeyLog);
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
  auto* state = static_cast<HandshakeState*>(SSL_get_app_data(ssl));
  if (state == nullptr) {
    return;
  }
  if (state->policy != nullptr && state->policy->keyLog) {
    state->policy->keyLog->write(line);
  }
  constexpr std::string_view kLabel = "SERVER_HANDSHAKE_TRAFFIC_SECRET ";
  const std::string_view text(line);
  if (state->alpnRefusedLate && text.starts_with(kLabel)) {
    // "LABEL <client random> <secret>", both in hex.
    const size_t space = text.find(' ', kLabel.size());
    state->serverHandshakeSecret = space == std::string_view::npos ? "" : fromHex(text.substr(space + 1));
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
  // Go's order of refusals, which OpenSSL's differs from: see goEarlyAlert.
  if (const int early = goEarlyAlert(ssl, *policy, offered)) {
    *alert = early;
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
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (const int late = goCertificateAlert(ssl, *cert, *policy, offered)) {
    *alert = late;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

int ServerTls::goEarlyAlert(SSL* ssl, const ConnectionPolicy& policy,
                            const std::vector<std::string_view>& offered) const {
  const int version = negotiatedVersion(ssl);
  // TLS 1.2: Go negotiates ALPN before it asks for a certificate or picks a suite;
  // OpenSSL after both (an unknown protocol met an internal_error or handshake_failure).
  if (version == TLS1_2_VERSION && negotiateAlpn(alpnFor(&policy), offered).refused) {
    return SSL_AD_NO_APPLICATION_PROTOCOL;
  }
  // TLS 1.3: Go picks the key-exchange group before the certificate and before ALPN;
  // OpenSSL only after ALPN (no_application_protocol) and our certificate choice.
  if (version == TLS1_3_VERSION && tls13WithoutSharedGroup(ssl, policy)) {
    return SSL_AD_HANDSHAKE_FAILURE;
  }
  return 0;
}

int ServerTls::goCertificateAlert(SSL* ssl, const Certificate& cert, const ConnectionPolicy& policy,
                                  const std::vector<std::string_view>& offered) const {
  // TLS 1.3: Go checks the certificate's signature scheme before ALPN; OpenSSL after. The
  // check matters only when ALPN is to fail: otherwise OpenSSL's own alert is Go's.
  if (negotiatedVersion(ssl) != TLS1_3_VERSION || !negotiateAlpn(alpnFor(&policy), offered).refused) {
    return 0;
  }
  return tls13SignatureAlert(ssl, cert);
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
  if (name != sni) {
    // The local address, default_sni and fallback_sni are looked up as they are: certmagic
    // tries wildcard candidates for the SNI alone (a custom selection then never sees every
    // certificate for "*.0.0.1" when the address's own ones lack its tag).
    return nullptr;
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
  const auto offered = alpnProtocols(in, inlen);
  if (state != nullptr && state->acmeChallenge) {
    for (auto o : offered) {
      if (o == kAcmeTlsAlpn) {
        *out = reinterpret_cast<const unsigned char*>(o.data());
        *outlen = static_cast<unsigned char>(o.size());
        return SSL_TLSEXT_ERR_OK;
      }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  const AlpnChoice choice = negotiateAlpn(self->alpnFor(state ? state->policy : nullptr), offered);
  if (choice.refused && state != nullptr && SSL_version(ssl) == TLS1_3_VERSION) {
    state->alpnRefusedLate = true;  // refused after the ServerHello, as Go (HandshakeState)
    return SSL_TLSEXT_ERR_NOACK;
  }
  if (choice.refused) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (choice.selected.empty()) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = reinterpret_cast<const unsigned char*>(choice.selected.data());
  *outlen = static_cast<unsigned char>(choice.selected.size());
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace gatehouse::tls
