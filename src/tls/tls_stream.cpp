#include "tls/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "tls/tls13_alert.h"
#include "tls/tls_info.h"

namespace gatehouse::tls {

namespace {
// The SNI as the client sent it: Go's ServerName keeps its case, and so do
// {http.request.tls.server_name}, the access log's server_name and strict_sni_host's 421
// text. `lower` is the handshake's lower-cased copy (used when OpenSSL kept none).
std::string sentServerName(SSL* ssl, const std::string& lower) {
  const char* sent = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (sent == nullptr || std::string_view(sent).size() != lower.size()) {
    return lower;
  }
  return std::equal(lower.begin(), lower.end(), sent,
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })
             ? std::string(sent)
             : lower;
}
}  // namespace

TlsStream::TlsStream(const ServerTls& server, std::string localIp) {
  hs_ = std::make_unique<HandshakeState>();
  hs_->localIp = std::move(localIp);
  ssl_ = server.newSsl(*hs_);
  if (!ssl_) {
    return;
  }
  if (!bio_.attach(ssl_.get())) {
    ssl_.reset();
    return;
  }
  // OpenSSL's record buffers (about 34 KiB) stay while the connection is busy (no free and
  // malloc for every record) and go once it idles: releaseIdleBuffers().
}

void TlsStream::releaseIdleBuffers() {
  bio_.releaseIdle();
  if (ssl_) {
    SSL_free_buffers(ssl_.get());  // refuses (and keeps them) while a record is half done
  }
}

void TlsStream::pushCipher(const char* data, size_t len) {
  if (ssl_) {
    bio_.pushCipher(data, len);
  }
}

TlsStream::Status TlsStream::classify(int rc) {
  switch (SSL_get_error(ssl_.get(), rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Status::WantMore;
    case SSL_ERROR_ZERO_RETURN:
      return Status::Closed;
    case SSL_ERROR_WANT_CLIENT_HELLO_CB:
      if (hs_->waitingFor != HandshakeState::Wait::None) {
        return Status::WantCertificate;
      }
      [[fallthrough]];
    default:
      failed_ = true;
      ERR_clear_error();  // this thread's queue must not leak into the next connection
      return Status::Failed;
  }
}

TlsStream::Status TlsStream::handshake() {
  if (!ssl_ || failed_) {
    return Status::Failed;
  }
  if (established_) {
    return Status::Ok;
  }
  int rc = SSL_do_handshake(ssl_.get());
  if (hs_->alpnRefusedLate && !hs_->serverHandshakeSecret.empty()) {
    return refuseAlpnLate();
  }
  if (rc != 1) {
    return classify(rc);
  }
  established_ = true;
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
  alpn_.assign(reinterpret_cast<const char*>(proto), len);
  dropHandshakeState();
  return Status::Ok;
}

void TlsStream::dropHandshakeState() {
  // What the connection asks after the handshake is kept; the rest (~300 B: the manager
  // query and answer, names, challenge state) would stay with every idle connection.
  serverName_ = sentServerName(ssl_.get(), hs_->serverName);
  acmeChallenge_ = hs_->acmeChallenge;
  acmeChallengeFromStorage_ = hs_->storedChallengeCert != nullptr;
  SSL_set_app_data(ssl_.get(), nullptr);  // the callbacks see no handshake in progress
  // The waits stay: this may run inside one's callback (a resumed handshake).
  hs_.reset();
}

TlsStream::Status TlsStream::refuseAlpnLate() {
  // OpenSSL wrote its whole flight; Go stops after the ServerHello (and ChangeCipherSpec).
  std::string flight;
  bio_.takeOutput(flight);
  flight.resize(clearRecordsEnd(flight));
  flight += tls13HandshakeAlertRecord(SSL_get_current_cipher(ssl_.get()), hs_->serverHandshakeSecret,
                                      SSL_AD_NO_APPLICATION_PROTOCOL);
  OPENSSL_cleanse(hs_->serverHandshakeSecret.data(), hs_->serverHandshakeSecret.size());
  hs_->serverHandshakeSecret.clear();
  bio_.putOutput(flight);
  failed_ = true;
  ERR_clear_error();
  return Status::Failed;
}

void TlsStream::awaitCertificate(uv_loop_t* loop, std::chrono::milliseconds limit,
                                 std::function<void()> ready) {
  const auto waitingFor = std::exchange(hs_->waitingFor, HandshakeState::Wait::None);
  if (waitingFor == HandshakeState::Wait::Managers && hs_->managers != nullptr && !managerWait_) {
    return awaitManagers(loop, limit, std::move(ready));
  }
  if (waitingFor == HandshakeState::Wait::StoredChallenge && hs_->challenges && !storedWait_) {
    return awaitStoredChallenge(loop, limit, std::move(ready));
  }
  if (waitingFor != HandshakeState::Wait::OnDemand || hs_->onDemand == nullptr || wait_) {
    return ready();  // nothing to wait for (or already waited): the handshake fails
  }
  wait_ = std::make_unique<CertificateWait>(loop, *hs_->onDemand, hs_->onDemandName, limit, std::move(ready));
}

namespace {
// Where a manager's answer waits (written on the managers' thread) for the loop to take it.
struct AnswerSlot {
  std::mutex mu;
  std::optional<ManagerAnswer> answer;
};
}  // namespace

void TlsStream::awaitManagers(uv_loop_t* loop, std::chrono::milliseconds limit, std::function<void()> ready) {
  auto slot = std::make_shared<AnswerSlot>();
  auto taken = [this, slot, limit, ready = std::move(ready)] {
    {
      std::lock_guard lock(slot->mu);
      if (slot->answer) {
        hs_->managerAnswer = std::move(*slot->answer);
      } else {
        hs_->managerAnswer.failures.push_back(ManagerFailure{
            0,
            "no answer from the certificate managers within " + std::to_string(limit.count() / 1000) + " s"});
      }
    }
    hs_->managersAnswered = true;
    ready();
  };
  const CertificateManagers& managers = *hs_->managers;
  managerWait_ =
      std::make_unique<CertificateWait>(loop, limit, std::move(taken), [&](std::function<void()> post) {
        managers.request(hs_->managerQuery, [slot, post = std::move(post)](ManagerAnswer a) {
          {
            std::lock_guard lock(slot->mu);
            slot->answer = std::move(a);
          }
          post();
        });
      });
}

TlsStream::Status TlsStream::read(char* buf, size_t cap, size_t& n) {
  n = 0;
  if (!ssl_ || failed_) {
    return Status::Failed;
  }
  int rc = SSL_read(ssl_.get(), buf, static_cast<int>(cap));
  if (rc > 0) {
    n = static_cast<size_t>(rc);
    return Status::Ok;
  }
  const Status st = classify(rc);
  if (st == Status::WantMore) {
    bio_.shrinkInput();
  }
  return st;
}

bool TlsStream::write(std::string_view plain) {
  if (!ssl_ || failed_ || closeSent_) {
    return false;
  }
  const int rc = bio_.writeAll(plain);
  if (rc <= 0) {
    classify(rc);
    return false;
  }
  return true;
}

void TlsStream::closeNotify() {
  if (!ssl_ || failed_ || closeSent_ || !established_) {
    return;
  }
  closeSent_ = true;
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

bool TlsStream::hasOutput() const {
  return bio_.hasOutput();
}

void TlsStream::takeOutput(std::string& out) {
  bio_.takeOutput(out);
}

std::shared_ptr<const runtime::TlsInfo> TlsStream::info() const {
  if (!ssl_) {
    return nullptr;
  }
  return describeConnection(ssl_.get(), hs_ ? sentServerName(ssl_.get(), hs_->serverName) : serverName_,
                            alpn_);
}

namespace {
// One stored-challenge read on libuv's thread pool. It owns what the pool touches (the
// provider, the name, the answer), so a connection that closes meanwhile frees nothing
// it reads; the job is freed on the loop when it reports.
struct StoredChallengeJob {
  uv_work_t req{};
  std::shared_ptr<const ChallengeCertificateProvider> provider;
  std::string serverName;
  std::shared_ptr<std::pair<std::mutex, CertificatePtr>> cert;  // where the loop takes the answer
  std::function<void()> post;
};
}  // namespace

void TlsStream::awaitStoredChallenge(uv_loop_t* loop, std::chrono::milliseconds limit,
                                     std::function<void()> ready) {
  auto cert = std::make_shared<std::pair<std::mutex, CertificatePtr>>();
  auto taken = [this, cert, ready = std::move(ready)] {
    {
      std::lock_guard lock(cert->first);
      hs_->storedChallengeCert = cert->second;
    }
    ready();
  };
  // A challenge file is tiny: a storage that takes longer than the CA waits is no use.
  constexpr std::chrono::milliseconds kStoredChallengeWait{10000};
  storedWait_ = std::make_unique<CertificateWait>(
      loop, std::min(limit, kStoredChallengeWait), std::move(taken), [&](std::function<void()> post) {
        auto job = std::make_unique<StoredChallengeJob>();
        job->provider = hs_->challenges;
        job->serverName = hs_->serverName;
        job->cert = cert;
        job->post = std::move(post);
        job->req.data = job.get();
        const int rc = uv_queue_work(
            loop, &job->req,
            [](uv_work_t* req) {
              auto* j = static_cast<StoredChallengeJob*>(req->data);
              auto found = j->provider->storedChallengeCertificate(j->serverName);
              std::lock_guard lock(j->cert->first);
              j->cert->second = std::move(found);
            },
            [](uv_work_t* req, int) {
              std::unique_ptr<StoredChallengeJob> j(static_cast<StoredChallengeJob*>(req->data));
              j->post();  // a no-op once the wait is gone (the connection closed)
            });
        if (rc != 0) {
          job->post();  // the handshake fails as without a stored challenge
          return;
        }
        job.release();  // freed by the after-work callback
      });
}

}  // namespace gatehouse::tls
