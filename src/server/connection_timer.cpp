#include <algorithm>

#include "http/http2_session.h"
#include "http/protocol_sniffer.h"
#include "server/connection.h"

// Connection's one timer: phase deadlines (header, idle, write, linger), parking an idle
// session, and freeing a replaced one.

namespace gatehouse::server {

void Connection::setPhase(Phase phase) {
  if (lingering_ || handlesClosing_) {
    return;
  }
  idlePhase_ = phase == Phase::Idle;
  readDeadline_ = kNever;
  switch (phase) {
    case Phase::Idle:
      // Parked from the timer: never under the session's own frames, and a connection
      // that sends its next request at once keeps its session (no churn per request).
      if (session_) {
        parkDue_ = uv_now(owner_.loop()) + kParkDelayMs;
      }
      armTimer(server_.idleTimeout);
      break;
    case Phase::ReadingHeaders:
      // As Go: read_timeout bounds the head too only when read_header_timeout is zero.
      requestStart_ = uv_now(owner_.loop());
      armTimer(server_.readHeaderTimeout.count() > 0 ? server_.readHeaderTimeout : server_.readTimeout);
      break;
    case Phase::Busy:
      armTimer(server_.writeTimeout);
      break;
    case Phase::ReadingBody:
      // Go's whole-request read deadline: from the head's start, so a slow head leaves the
      // body less time. It ends the connection mid-upload; a long answer is not bounded.
      if (server_.readTimeout.count() > 0) {
        readDeadline_ = requestStart_ + static_cast<uint64_t>(server_.readTimeout.count());
      }
      armTimer(server_.writeTimeout);
      break;
    case Phase::Streams:
      armTimer(std::chrono::milliseconds(0));  // no connection deadline: Http2Session's per stream
      break;
  }
}

// The timer's park step releases the TLS buffers and trims the session (a tunnel relay
// stays: it is not dormant). Only TLS connections, or a session that trims (a relay to a
// TLS upstream), hold anything it would drop.
void Connection::quiet(bool sessionTrims) {
  if ((!tls_ && !sessionTrims) || lingering_ || handlesClosing_) {
    return;
  }
  const uint64_t now = uv_now(owner_.loop());
  parkDue_ = now + kQuietDelayMs;  // from the last time it settled
  rearm(now);
}

// Phases move the deadline three times per request, but the timer is restarted only when
// the new due time is earlier than the one it is armed for; one that fires early re-arms
// itself for what is left. This keeps libuv's timer heap out of the per-request path.
void Connection::armTimer(std::chrono::milliseconds ms) {
  const uint64_t now = uv_now(owner_.loop());
  phaseDeadline_ = ms.count() > 0 ? now + static_cast<uint64_t>(ms.count()) : kNever;
  deadline_ = std::min(phaseDeadline_, readDeadline_);
  rearm(now);
}

void Connection::bodyRead() {
  if (readDeadline_ == kNever) {
    return;
  }
  readDeadline_ = kNever;
  deadline_ = phaseDeadline_;  // a later due time: the armed timer re-arms itself when it fires
  rearm(uv_now(owner_.loop()));
}

void Connection::rearm(uint64_t now) {
  const uint64_t due = std::min(deadline_, parkDue_ != 0 ? parkDue_ : kNever);
  if (due == kNever || (timerArmed_ && timerDue_ <= due)) {
    return;
  }
  const uint64_t in = due > now ? due - now : 0;
  uv_timer_start(&timer_, &Connection::onTimer, in, 0);
  timerArmed_ = true;
  timerDue_ = now + in;
}

void Connection::onTimer(uv_timer_t* t) {
  auto* self = static_cast<Connection*>(t->data);
  self->timerArmed_ = false;
  self->retired_.reset();
  const uint64_t now = uv_now(self->owner_.loop());
  if (self->parkDue_ != 0 && now >= self->parkDue_) {
    self->parkDue_ = 0;
    self->parkIfDormant();
    if (self->session_ && !self->handlesClosing_) {
      self->session_->trim();  // a session that stays (HTTP/2) drops what it kept
    }
    if (self->tls_ && !self->handlesClosing_) {
      self->tls_->releaseIdleBuffers();  // only empty ones: HTTP/2 connections too
    }
  }
  if (self->deadline_ != kNever && now >= self->deadline_) {
    if (self->goAwayOnIdle()) {
      return;
    }
    // Every timeout (header, idle, write, linger) ends the connection without a response,
    // as Go's server does (but HTTP/2's idle timeout, below).
    self->closeHandles();
    return;
  }
  self->rearm(now);
}

// At its idle timeout Go's HTTP/2 server sends GOAWAY (NO_ERROR) before closing, so a
// client that sends a request just then knows it was not processed instead of meeting a
// closed socket. The session stops as on a graceful stop (a notice, a PING, the final
// GOAWAY; a request racing the notice is still served) and closes itself; the guard
// closes the connection if the client never answers.
bool Connection::goAwayOnIdle() {
  if (idleGoaway_ || !idlePhase_ || !session_ || parked_ || lingering_ || handlesClosing_) {
    return false;
  }
  http::Session* s = session_.get();
  if (auto* sniffer = dynamic_cast<http::ProtocolSniffer*>(s)) {
    s = sniffer->inner();  // h2c shares its port with HTTP/1.1
  }
  if (dynamic_cast<http::Http2Session*>(s) == nullptr) {
    return false;
  }
  idleGoaway_ = true;
  session_->shutdown();
  if (!handlesClosing_ && !lingering_) {
    armTimer(kIdleGoawayGuard);
  }
  return true;
}

}  // namespace gatehouse::server
