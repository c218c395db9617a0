#include "http/protocol_sniffer.h"

#include <algorithm>

namespace gatehouse::http {

ProtocolSniffer::ProtocolSniffer(Transport& transport, SessionMaker makeHttp1, SessionMaker makeHttp2)
    : transport_(transport), makeHttp1_(std::move(makeHttp1)), makeHttp2_(std::move(makeHttp2)) {}

void ProtocolSniffer::onData(const char* data, size_t len) {
  if (inner_) {
    inner_->onData(data, len);
    return;
  }
  if (closed_) {
    return;
  }
  buffered_.append(data, len);
  const size_t n = std::min(buffered_.size(), kPreface.size());
  if (std::string_view(buffered_).substr(0, n) != kPreface.substr(0, n)) {
    choose(false);  // not the preface: an HTTP/1 request (or garbage Http1Session rejects)
  } else if (n == kPreface.size()) {
    choose(true);
  }
  // else: a prefix of the preface so far; wait for more bytes
}

void ProtocolSniffer::choose(bool http2) {
  inner_ = http2 ? makeHttp2_() : makeHttp1_();
  if (peer_) {
    inner_->setPeer(*peer_);
  }
  std::string bytes = std::move(buffered_);
  buffered_.clear();
  inner_->onData(bytes.data(), bytes.size());
  if (shutdownPending_) {
    inner_->shutdown();
  }
}

void ProtocolSniffer::onEof() {
  if (!inner_ && !buffered_.empty()) {
    choose(false);  // a truncated preface: let HTTP/1 answer what it can
  }
  if (inner_) {
    inner_->onEof();
  } else if (!closed_) {
    closed_ = true;
    transport_.close(false);
  }
}

void ProtocolSniffer::onDrained() {
  if (inner_) {
    inner_->onDrained();
  }
}

void ProtocolSniffer::shutdown() {
  if (inner_) {
    inner_->shutdown();
  } else if (!buffered_.empty()) {
    shutdownPending_ = true;  // the client has begun: let it finish (see choose)
  } else if (!closed_) {
    closed_ = true;  // nothing was asked yet: close like an idle keep-alive connection
    transport_.close(false);
  }
}

void ProtocolSniffer::setPeer(const PeerInfo& peer) {
  peer_ = peer;
  if (inner_) {
    inner_->setPeer(peer);
  }
}

}  // namespace gatehouse::http
