#pragma once
// One HTTP/2 client connection to an upstream, multiplexing the requests of many
// ProxyCalls (UpstreamH2Stream). The bytes travel over an UpstreamConnection (TCP or unix,
// TLS, PROXY header, local address all as for HTTP/1.1), switched to raw frames once it is
// connected; nghttp2 does the framing. Owned by the worker's H2Sessions; streams point at
// it and are told when it goes. Loop thread only.
//
// Flow control is the back-pressure both ways: each stream's receive window is the
// handler's read buffer and is reopened only as the client takes bytes (no automatic
// WINDOW_UPDATE); frames are produced only while the socket's queue is short.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

class UpstreamH2Stream;
class H2Sessions;

struct H2SessionLimits {
  size_t streamWindow = 64 * 1024;  // the read buffer: response bytes held per stream
  size_t maxHeaderBytes = 10 << 20;
  bool shareable = true;  // keep-alive on: later requests may join
};

class UpstreamH2Session final : private UpstreamConnection::Listener {
 public:
  UpstreamH2Session(H2Sessions& owner, std::unique_ptr<UpstreamConnection> conn, size_t upstream,
                    H2SessionLimits limits);
  ~UpstreamH2Session() override;
  UpstreamH2Session(const UpstreamH2Session&) = delete;
  UpstreamH2Session& operator=(const UpstreamH2Session&) = delete;

  // Dials; a non-zero libuv error means it failed at once (the session is dead then).
  int connect(const UpstreamAddress& address, const DialOptions& options);

  // A new request may join: alive, no GOAWAY, under the peer's MAX_CONCURRENT_STREAMS.
  [[nodiscard]] bool usable() const;
  [[nodiscard]] bool connected() const { return ng_ != nullptr && !dead_; }
  [[nodiscard]] bool dead() const { return dead_; }
  [[nodiscard]] bool idle() const { return streams_.empty(); }
  [[nodiscard]] uint64_t idleSince() const { return idleSince_; }
  [[nodiscard]] size_t upstream() const { return upstream_; }
  // No new stream joins; it closes once its streams are done (max_conns_per_host: a
  // request on another worker needs its slot).
  void retire() { retired_ = true; }
  // max_conns_per_host: the key its connection counts under ("" without a limit).
  [[nodiscard]] const std::string& limitKey() const;

  // The streams' side.
  void join(UpstreamH2Stream& s);
  void leave(UpstreamH2Stream& s);
  nghttp2_session* ng() { return ng_; }
  // nghttp2 took all of `s`'s body piece: its owner is told after the send loop.
  void markWritten(UpstreamH2Stream& s) { written_.push_back(&s); }
  // Sends what nghttp2 has queued (deferred while nghttp2 itself is running).
  void flush();

 private:
  friend struct H2Callbacks;

  // UpstreamConnection::Listener
  void onUpstreamConnected() override;
  void onUpstreamHead(ResponseHead& /*head*/) override {}
  void onUpstreamBody(std::string_view /*data*/) override {}
  void onUpstreamEnd() override {}
  void onUpstreamWritten() override { flush(); }
  void onUpstreamError(int uvError) override;
  void onUpstreamTunnelData(std::string_view data) override;
  void onUpstreamTunnelEof() override { fail(UV_EOF, "connection closed by the upstream"); }

  bool startNghttp2();
  void fallBack();
  void fail(int uvError, std::string why);
  void notifyWritten();
  void updateLoopHold();
  UpstreamH2Stream* streamOf(int32_t id);

  H2Sessions& owner_;
  std::unique_ptr<UpstreamConnection> conn_;
  size_t upstream_;
  H2SessionLimits limits_;
  nghttp2_session* ng_ = nullptr;
  std::vector<UpstreamH2Stream*> streams_;  // joined, submitted or not
  std::vector<UpstreamH2Stream*> written_;  // streams whose body piece nghttp2 took
  bool dead_ = false;
  bool goaway_ = false;
  bool retired_ = false;
  bool busy_ = false;  // inside nghttp2 (recv or send): flush() later
  bool flushAgain_ = false;
  bool served_ = false;  // carried at least one request
  bool holding_ = true;
  uint64_t idleSince_ = 0;
};

}  // namespace gatehouse::proxy
