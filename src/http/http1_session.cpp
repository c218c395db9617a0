#include "http/http1_session.h"

#include <exception>

#include "http/http1_request_rules.h"
#include "http/status.h"

namespace gatehouse::http {

// The callbacks are the same for every session: one immutable table rather than 184 bytes
// in each (a tunnel keeps its session for hours).
const llhttp_settings_t& Http1Session::settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &Http1Session::onMessageBegin;
    s.on_method = &Http1Session::onMethod;
    s.on_url = &Http1Session::onUrl;
    s.on_version = &Http1Session::onVersion;
    s.on_header_field = &Http1Session::onHeaderField;
    s.on_header_value = &Http1Session::onHeaderValue;
    s.on_headers_complete = &Http1Session::onHeadersComplete;
    s.on_body = &Http1Session::onBody;
    s.on_message_complete = &Http1Session::onMessageComplete;
    return s;
  }();
  return table;
}

Http1Session::Http1Session(Transport& transport, RequestHandler& handler, DateCache& dates,
                           SessionLimits limits)
    : transport_(transport),
      handler_(handler),
      dates_(dates),
      limits_(limits),
      pool_(transport.http1Scratch()),
      scratch_(pool_ != nullptr ? pool_->take() : std::make_unique<Http1Scratch>()),
      ex_(scratch_->ex),
      out_(scratch_->out),
      url_(scratch_->url),
      body_([this] { updateReading(); }, [this] { sendContinue(); }),
      tasks_([this] { runTasks(); }) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  // Any "HTTP/x.y" gets through llhttp, so the version checks are Go's: 1.x is HTTP/1.1
  // (1.2 too), others get 505 (onHeadersComplete).
  parser_.lenient_flags |= LENIENT_VERSION;  // (llhttp 8.1 has the flag, not its setter)
  // Whether the connection stays open is Go's decision (keepsAlive: Connection only), never
  // llhttp's, which also reads Proxy-Connection and would refuse the next request after it.
  parser_.lenient_flags |= LENIENT_KEEP_ALIVE;
  parser_.data = this;
  ex_.host = this;
}

Http1Session::~Http1Session() {
  // The connection is gone: whatever a handler still does for this exchange stops now.
  body_.detach();
  if (tunnel_ && !peerClosed_ && ex_.response.tunnel != nullptr) {
    ex_.response.tunnel->onClientClosed();
  }
  ex_.pending.reset();
  if (inExchange_) {
    inExchange_ = false;
    reportFinished();
  }
  if (pool_ != nullptr) {
    pool_->give(std::move(scratch_));
  }
}

bool Http1Session::dormant() const {
  return !inExchange_ && !closed_ && !closing_ && !paused_ && !tunnel_ && !eof_ && !shuttingDown_ &&
         !executing_ && !awaiting_ && !resumeRequested_ && !streaming_ && !pullInFlight_ && !parseLater_ &&
         sendfileOutcome_ == 0 && pending_.empty() && out_.empty() && llhttp_get_errno(&parser_) == HPE_OK;
}

void Http1Session::setPeer(const PeerInfo& peer) {
  ex_.request.remoteIp = peer.remoteIp;
  ex_.request.remotePort = peer.remotePort;
  ex_.request.localPort = peer.localPort;
  ex_.request.tls = peer.tls;
  ex_.request.tlsInfo = peer.tlsInfo;
}

void Http1Session::onData(const char* data, size_t len) {
  if (closed_) {
    return;
  }
  if (tunnel_ && pending_.empty() && !tunnelReadPaused_) {
    // The peer sees each read, and reading waits until it asks for more.
    tunnelReadPaused_ = true;
    updateReading();
    ex_.response.tunnel->onClientData(std::string_view(data, len));
    return;
  }
  if (paused_ || tunnel_) {
    pending_.append(data, len);
    updateReading();
    return;
  }
  execute(data, len);
  flush();
  updateReading();
}

void Http1Session::execute(const char* data, size_t len) {
  llhttp_errno_t err = HPE_OK;
  // Each round past the first starts after a method token llhttp does not know (see
  // http1_custom_method.cpp), so the loop ends within the buffer.
  for (;;) {
    if (!methodHold_.empty() && !continueHeldMethod(data, len)) {
      return;  // the token goes on in the next read
    }
    executing_ = true;
    execBegin_ = data;
    err = llhttp_execute(&parser_, data, len);
    executing_ = false;
    // What a pause leaves unparsed is parsed again later, so the tail ends where parsing did.
    keepTail(data,
             err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE ? llhttp_get_error_pos(&parser_) : data + len);
    if (closed_) {
      return;
    }
    const char* resumeAt = nullptr;
    if (err != HPE_INVALID_METHOD || !takeCustomMethod(data, len, resumeAt)) {
      break;
    }
    if (resumeAt == nullptr) {
      return;  // held until the token's end arrives
    }
    len -= static_cast<size_t>(resumeAt - data);
    data = resumeAt;
  }
  if (err == HPE_OK) {
    if (eof_ && !inExchange_) {
      closeNow();
    }
    return;
  }
  if (err == HPE_PAUSED_H2_UPGRADE) {
    // "PRI * HTTP/2.0" and the rest of HTTP/2's preface on a server without h2c: Go's
    // server hands it to the handlers as a request (method PRI), then closes.
    paused_ = true;
    servePriorKnowledgePreface();
    return;
  }
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    const char* pos = llhttp_get_error_pos(&parser_);
    std::string rest(pos, static_cast<size_t>(data + len - pos));
    pending_ = std::move(rest);
    paused_ = true;
    if (err == HPE_PAUSED_UPGRADE && inExchange_) {
      // What follows the head belongs to a tunnel if the answer is a 101; else it is the
      // next request (as Go's server), but after a CONNECT the connection ends.
      requestDone_ = true;
      body_.finish();
      if (responseDone_ && !tunnel_) {
        closing_ = closing_ || ex_.request.upgrade.empty();
        completeExchange();
        parseLaterIfOpen();
      }
    } else if (err == HPE_PAUSED_UPGRADE) {
      parseLaterIfOpen();  // answered without a tunnel before the parser reached the pause
    }
    return;
  }
  if (inExchange_ && !responseDone_ && body_.pulled()) {
    // The body a handler is reading broke its framing: the handler sees the error and
    // the client gets a 400 once it answers (the connection closes either way).
    body_.fail(UV_EPROTO);
  }
  if (headerTooLarge_) {
    failRequest(431);
  } else if (versionRefused_) {
    failRequest(505, "unsupported protocol version");
  } else {
    const ParseRefusal refusal = refusalFor(parser_, ex_.request.headers, notImplemented_, badDetail_);
    failRequest(refusal.status, refusal.detail);
  }
}

// The parser resumes from a clean stack, not inside the callback that got here.
void Http1Session::parseLaterIfOpen() {
  if (!closed_ && !closing_ && !inExchange_) {
    parseLater_ = true;
    tasks_.schedule(transport_.loop());
  }
}

void Http1Session::resumeParsing() {
  paused_ = false;
  if (llhttp_get_errno(&parser_) == HPE_PAUSED_UPGRADE) {
    llhttp_resume_after_upgrade(&parser_);
  } else {
    llhttp_resume(&parser_);
  }
  std::string data = std::move(pending_);
  pending_.clear();
  execute(data.data(), data.size());
  if (!closed_ && eof_ && !inExchange_ && !paused_) {
    closeNow();
  }
  flush();
  updateReading();
}

void Http1Session::onEof() {
  eof_ = true;
  if (closed_) {
    return;
  }
  if (tunnel_) {
    if (!pending_.empty() || tunnelReadPaused_) {
      tunnelEofPending_ = true;  // after the bytes the peer has not taken yet
    } else {
      ex_.response.tunnel->onClientEof();
    }
    return;
  }
  if (inExchange_ && (ex_.pending || !requestDone_) && !responseDone_) {
    // As Go's server: a client that leaves cancels the request (the upstream socket closes).
    abortExchange();
    return;
  }
  if (paused_ || (inExchange_ && requestDone_)) {
    return;  // finish what is queued; completeExchange closes
  }
  closeNow();
}

void Http1Session::shutdown() {
  shuttingDown_ = true;
  if (closed_) {
    return;
  }
  if (!inExchange_) {
    closeNow();
  } else {
    closing_ = true;
  }
}

void Http1Session::closeNow() {
  flush();
  closed_ = true;
  body_.detach();
  transport_.close(false);
}

void Http1Session::abortExchange() {
  closed_ = true;
  body_.detach();
  transport_.close(true);
  // Called from socket callbacks only (never from a handler's), so dropping the pending
  // work here cannot pull an object out from under its own stack frame.
  ex_.pending.reset();
  if (inExchange_) {
    inExchange_ = false;
    reportFinished();
  }
}

void Http1Session::flush() {
  if (!out_.empty() && !closed_) {
    transport_.write(out_);
  }
}

// Runs the chain (or its continuation after a resume); writes the response unless a
// handler paused.
int Http1Session::runChain(bool resumed) {
  runtime::Outcome outcome = runtime::Outcome::Handled;
  try {
    outcome = resumed ? handler_.resumed(ex_) : handler_.handle(ex_);
  } catch (const std::exception&) {
    // A handler bug must not unwind through llhttp and libuv.
    ex_.pending.reset();
    ex_.response.clear();
    ex_.response.status = 500;
  }
  if (outcome == runtime::Outcome::Paused) {
    awaiting_ = true;
    if (resumeRequested_) {
      tasks_.schedule(transport_.loop());
    }
    return 0;
  }
  const int rc = beginResponse();
  if (rc == 0 && responseDone_ && !requestDone_ && closing_ && !tunnel_) {
    completeExchange();  // the unread body is not worth reading (see kDiscardLimit)
    return -1;
  }
  return rc;
}

void Http1Session::resume() {
  if (closed_) {
    return;
  }
  resumeRequested_ = true;
  tasks_.schedule(transport_.loop());
}

// Work deferred out of handler callbacks: a resume, tunnel bytes read ahead, a drain.
void Http1Session::runTasks() {
  if (closed_) {
    return;
  }
  if (sendfileOutcome_ != 0) {
    const int outcome = sendfileOutcome_;
    sendfileOutcome_ = 0;
    if (parseLater_ || resumeRequested_ || tunnel_) {
      tasks_.schedule(transport_.loop());  // one thing per run; the rest on the next
    }
    if (outcome > 0) {
      onBodyData({}, true);
    } else {
      onBodyError(outcome);
    }
    return;
  }
  if (parseLater_) {
    parseLater_ = false;
    if (!inExchange_ && paused_) {
      resumeParsing();
    }
    return;
  }
  if (resumeRequested_ && awaiting_) {
    resumeRequested_ = false;
    awaiting_ = false;
    runChain(true);
    if (awaiting_ || closed_) {
      return;
    }
    flush();
    afterResponse();
    return;
  }
  if (tunnel_) {
    if (tunnelDrainWanted_ && transport_.drained()) {
      tunnelDrainWanted_ = false;
      ex_.response.tunnel->onClientDrained();
      if (closed_) {
        return;
      }
    }
    deliverTunnelData();
  }
}

int Http1Session::onMessageComplete(llhttp_t* p) {
  auto& s = self(p);
  s.requestDone_ = true;
  s.transport_.bodyRead();
  s.body_.finish();
  if (!s.responseDone_ || s.tunnel_) {
    return HPE_PAUSED;  // the response is still being produced; resume after it
  }
  s.completeExchange();
  if (s.closed_ || s.closing_) {
    return HPE_PAUSED;
  }
  return 0;
}

void Http1Session::completeExchange() {
  if (!inExchange_) {
    return;
  }
  inExchange_ = false;
  body_.detach();
  reportFinished();
  if (closing_) {
    closeNow();
    return;
  }
  transport_.setPhase(Transport::Phase::Idle);
  if (eof_ && !executing_ && !paused_) {
    closeNow();
  }
}

void Http1Session::reportFinished() {
  if (chainStarted_) {
    handler_.finished(ex_);
  }
}

void Http1Session::failRequest(int status, std::string_view detail) {
  if (headWritten_) {
    // The response already went out; the stream is unusable from here.
    closeNow();
    return;
  }
  if (awaiting_) {
    // A handler is still working on this request: it is cancelled with the connection.
    awaiting_ = false;
    ex_.pending.reset();
  }
  // Go's wording: "400 Bad Request: detail", but 501 carries only its detail.
  // The status line carries the same text as the body ("400 Bad Request: detail").
  std::string text = std::to_string(status) + " " + std::string(reasonPhrase(status));
  if (status != 501 && !detail.empty()) {
    text.append(": ").append(detail);
  }
  out_.append("HTTP/1.1 ")
      .append(text)
      .append("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n");
  out_.append(status == 501 ? detail : std::string_view(text));
  closeNow();
}

}  // namespace gatehouse::http
