#pragma once
// The listening socket of a challenge listener of our own (Http01Listener,
// TlsAlpn01Listener): bound to host:port ("" = all addresses, dual-stack first), freed by
// its close callback, so the owner may go away right after close(). Loop-thread only.

#include <uv.h>

#include <cstdint>
#include <string>

namespace gatehouse::acme {

class TcpServer {
 public:
  explicit TcpServer(uv_loop_t* loop) : loop_(loop) {}
  ~TcpServer() { close(); }
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Listens; `onConnection` gets the server stream with data = `data`. Returns a uv error
  // code (0 on success).
  int listen(const std::string& host, uint16_t port, void* data, uv_connection_cb onConnection);
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] bool listening() const { return server_ != nullptr; }
  void close();

 private:
  int bindAndListen(const std::string& host, uint16_t port, void* data, uv_connection_cb onConnection);

  uv_loop_t* loop_;
  uv_tcp_t* server_ = nullptr;  // owned; freed in its close callback
  uint16_t port_ = 0;
};

// "host:port" for messages ("*" for all addresses; IPv6 in brackets).
std::string listenAddress(const std::string& host, uint16_t port);

}  // namespace gatehouse::acme
