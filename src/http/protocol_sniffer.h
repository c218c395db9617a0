#pragma once
// Cleartext HTTP/2 with prior knowledge (h2c, RFC 9113 3.3) next to HTTP/1.1 on one port:
// buffers the first bytes of a connection and, once they either are or cannot be the
// client connection preface, hands the connection to the session for that protocol.
// (No "Upgrade: h2c": Caddy 2.10+ and Go 1.24 dropped it, RFC 9113 deprecates it; 2.6.2 had
// it through x/net. README, HTTP/2 reverse_proxy hunt.) Loop-thread only.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/session.h"

namespace gatehouse::http {

class ProtocolSniffer final : public Session {
 public:
  using SessionMaker = std::function<std::unique_ptr<Session>()>;
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

  ProtocolSniffer(Transport& transport, SessionMaker makeHttp1, SessionMaker makeHttp2);

  void onData(const char* data, size_t len) override;
  void onEof() override;
  void onDrained() override;
  void shutdown() override;
  [[nodiscard]] bool idle() const override { return !inner_ || inner_->idle(); }
  void forEachExchange(const std::function<void(runtime::Exchange&)>& fn) override {
    if (inner_) {
      inner_->forEachExchange(fn);
    }
  }
  // Once HTTP/1.1 was chosen, a dormant inner session can go (a new one needs no sniffing).
  [[nodiscard]] bool dormant() const override { return inner_ && inner_->dormant(); }
  void trim() override {
    if (inner_) {
      inner_->trim();
    }
  }
  void setPeer(const PeerInfo& peer) override;

  // The chosen session, once the first bytes decided it.
  [[nodiscard]] Session* inner() const { return inner_.get(); }

 private:
  void choose(bool http2);

  Transport& transport_;
  SessionMaker makeHttp1_;
  SessionMaker makeHttp2_;
  std::optional<PeerInfo> peer_;
  std::string buffered_;
  std::unique_ptr<Session> inner_;
  bool closed_ = false;
  // A stop or reload came while part of a preface was buffered: the session chosen next
  // serves what the client sends and then closes (a reload must not drop a new client).
  bool shutdownPending_ = false;
};

}  // namespace gatehouse::http
