#pragma once
// A minimal HTTP/1.x listener for `gatehouse certs` (where no web server of ours owns port
// 80, or the port of alt_http_port): it answers GET/HEAD /.well-known/acme-challenge/<token> from the
// ChallengeResponder and 404 to everything else, one request per connection, with bounded head size and time.
// Loop-thread only. The engine's servers ask the responder from their own routes; this
// listener serves where none of them listens (StandaloneHttp01Solver).

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gatehouse/acme/challenge_responder.h"
#include "solvers/challenge_connections.h"
#include "solvers/tcp_server.h"

namespace gatehouse::acme {

class Http01Listener {
 public:
  Http01Listener(uv_loop_t* loop, const ChallengeResponder& responder);
  ~Http01Listener();
  Http01Listener(const Http01Listener&) = delete;
  Http01Listener& operator=(const Http01Listener&) = delete;

  // Binds host:port ("" = all addresses, IPv6 and IPv4). Returns a uv error code (0 on success).
  int listen(const std::string& host, uint16_t port);
  [[nodiscard]] uint16_t port() const { return server_.port(); }
  // Stops listening and closes open connections; the loop finishes closing them.
  void close();

  static constexpr size_t kMaxHead = 8192;
  static constexpr uint64_t kTimeoutMs = 10000;

 private:
  struct Connection;
  static void onConnection(uv_stream_t* server, int status);
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onTimeout(uv_timer_t* t);
  void respond(Connection& c);
  void finish(Connection& c);

  uv_loop_t* loop_;
  const ChallengeResponder& responder_;
  TcpServer server_;
  ChallengeConnections<Connection> connections_;
};

// The response to one request head (exposed for unit tests): status line, headers, body.
std::string http01Response(const ChallengeResponder& responder, std::string_view head);

}  // namespace gatehouse::acme
