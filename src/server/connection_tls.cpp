#include <algorithm>
#include <string>
#include <string_view>

#include "http/session_factory.h"
#include "server/connection.h"
#include "server/server_group.h"

// Connection over TLS: ciphertext in, the handshake (paused for an on-demand certificate
// when needed), plaintext to the session, records out.

namespace gatehouse::server {

namespace {
// How long a handshake may wait for a certificate obtained on demand (certmagic lets a
// handshake wait two minutes for another one's order).
constexpr std::chrono::milliseconds kOnDemandWait{120000};

// A first flight that starts like an HTTP request line rather than a TLS record (0x16).
bool looksLikeHttp(std::string_view first) {
  for (std::string_view m : {"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "}) {
    if (first.substr(0, m.size()) == m.substr(0, std::min(m.size(), first.size())) && first.size() >= 4) {
      return true;
    }
  }
  return false;
}
}  // namespace

void Connection::onCipher(const char* data, size_t len) {
  if (!tls_->established() && !gotCipher_) {
    gotCipher_ = true;
    if (looksLikeHttp(std::string_view(data, len))) {
      // Go's answer to plain HTTP on a TLS port: say so instead of a TLS alert.
      std::string reply = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      sendRaw(reply);
      close(false);
      return;
    }
  }
  tls_->pushCipher(data, len);
  if (!tls_->established()) {
    if (tls_->awaitingCertificate()) {
      return;
    }
    const auto status = tls_->handshake();
    flushTls();
    if (status == tls::TlsStream::Status::WantMore || handlesClosing_) {
      return;
    }
    if (status == tls::TlsStream::Status::WantCertificate) {
      // Paused for an on-demand certificate: stop reading (input stays bounded) until the
      // certificate manager answers or the wait ends, then drive the handshake again.
      pauseReading();
      tls_->awaitCertificate(owner_.loop(), kOnDemandWait, [this] {
        for (const auto& f : tls_->takeManagerFailures()) {
          // As Caddy 2.6.2: logged at error level, then the handshake goes on without it.
          logLine({{"logger", "tls.handshake"},
                   {"msg", "getting certificate from external certificate manager"},
                   {"remote_ip", peer_.remoteIp},
                   {"sni", tls_->serverName()},
                   {"cert_manager", f.index},
                   {"error", f.message}},
                  "error");
        }
        if (!handlesClosing_) {
          resumeReading();
          onCipher(nullptr, 0);
        }
      });
      return;
    }
    if (status != tls::TlsStream::Status::Ok) {
      if (!tls_->noSniFailure().empty()) {
        logLine({{"logger", "tls.handshake"},
                 {"msg", "TLS handshake failed"},
                 {"error", tls_->noSniFailure()},
                 {"remote_ip", peer_.remoteIp}});
      }
      close(false);  // the alert (if any) is queued ahead of the close
      return;
    }
    if (!startTlsSession()) {
      return;
    }
    readPlain();
    if (!gotRequestBytes_ && !handlesClosing_ && !lingering_) {
      // Handshake done, no request yet: hold no record buffers while the client thinks.
      tls_->releaseIdleBuffers();
    }
    return;
  }
  readPlain();
}

bool Connection::startTlsSession() {
  if (tls_->acmeChallenge()) {
    // As certmagic's GetCertificate; `distributed`: built from another server's stored challenge.
    const bool v6 = peer_.remoteIp.find(':') != std::string::npos;
    logLine({{"logger", "tls"},
             {"msg", "served key authentication certificate"},
             {"server_name", tls_->serverName()},
             {"challenge", "tls-alpn-01"},
             {"remote",
              (v6 ? "[" + peer_.remoteIp + "]" : peer_.remoteIp) + ":" + std::to_string(peer_.remotePort)},
             {"distributed", tls_->acmeChallengeFromStorage()}},
            "info");
    close(false);  // the challenge is the handshake itself; no HTTP follows
    return false;
  }
  auto info = tls_->info();
  peer_.tls = true;
  peer_.serverName = info->serverName;
  peer_.alpn = info->proto;
  peer_.tlsVersion = info->version;
  peer_.cipherSuite = info->cipherSuite;
  peer_.tlsInfo = std::move(info);
  session_ = http::makeSession(tls_->alpn(), *this, router_, owner_.dates(),
                               http::SessionLimits{server_.maxHeaderBytes}, server_);
  if (!session_) {
    close(false);
    return false;
  }
  session_->setPeer(peer_);
  return true;
}

void Connection::readPlain() {
  // The ciphertext is already copied into the TLS input buffer, so the loop's read buffer
  // is free to hold plaintext.
  uv_buf_t buf = owner_.readBuffer();
  while (!handlesClosing_ && !lingering_ && (session_ || parked_)) {
    size_t n = 0;
    const auto status = tls_->read(buf.base, buf.len, n);
    if (status == tls::TlsStream::Status::Ok) {
      deliver(buf.base, n);
      continue;
    }
    if (status == tls::TlsStream::Status::Closed) {
      sessionEof();
    } else if (status == tls::TlsStream::Status::Failed) {
      flushTls();
      closeHandles();
      return;
    }
    break;
  }
  flushTls();  // reading may produce records (session tickets, key updates)
}

void Connection::flushTls() {
  // Once lingering, the write side is shut: nothing more may be sent.
  if (!tls_ || handlesClosing_ || lingering_) {
    return;
  }
  std::string& out = owner_.cipherScratch();
  out.clear();
  tls_->takeOutput(out);
  if (!out.empty()) {
    sendRaw(out);
  }
}

}  // namespace gatehouse::server
