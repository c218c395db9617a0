#include "solvers/tcp_server.h"

#include <memory>

namespace gatehouse::acme {

int TcpServer::listen(const std::string& host, uint16_t port, void* data, uv_connection_cb onConnection) {
  if (!host.empty())
    return bindAndListen(host, port, data, onConnection);
  // Dual-stack first: a CA validates over IPv6 when the name has an AAAA record.
  const int rc = bindAndListen("::", port, data, onConnection);
  return rc == 0 ? 0 : bindAndListen("0.0.0.0", port, data, onConnection);
}

int TcpServer::bindAndListen(const std::string& host, uint16_t port, void* data,
                             uv_connection_cb onConnection) {
  close();
  struct sockaddr_storage addr {};
  int rc = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0)
    rc = uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr));
  if (rc != 0)
    return rc;
  auto server = std::make_unique<uv_tcp_t>();
  uv_tcp_init(loop_, server.get());
  server->data = data;
  server_ = server.release();
  rc = uv_tcp_bind(server_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(server_), 128, onConnection);
  if (rc != 0) {
    close();
    return rc;
  }
  int len = sizeof addr;
  uv_tcp_getsockname(server_, reinterpret_cast<sockaddr*>(&addr), &len);
  // sin_port and sin6_port sit at the same offset.
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return 0;
}

void TcpServer::close() {
  if (server_ == nullptr)
    return;
  server_->data = server_;
  uv_close(reinterpret_cast<uv_handle_t*>(server_),
           [](uv_handle_t* h) { std::unique_ptr<uv_tcp_t> owned(static_cast<uv_tcp_t*>(h->data)); });
  server_ = nullptr;
}

std::string listenAddress(const std::string& host, uint16_t port) {
  const std::string h = host.empty() ? "*" : host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

}  // namespace gatehouse::acme
