#include "admin/admin_server.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <vector>

#include "admin/admin_connection.h"

namespace gatehouse::admin {

namespace {

bool isLoopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  }
  return false;
}

// "host:port" -> a loopback socket address; empty error on success.
std::string resolveLoopback(const std::string& address, sockaddr_storage& out) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return "invalid admin address '" + address + "'";
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return "admin address '" + address + "' has no port";
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host.empty()) {
    return "the admin endpoint listens on loopback only; name a loopback host (localhost:2019)";
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return "cannot resolve admin address '" + address + "'";
  }
  std::string error = "the admin endpoint listens on loopback only, not '" + address + "'";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (isLoopback(a->ai_addr)) {
      std::memcpy(&out, a->ai_addr, a->ai_addrlen);
      error.clear();
      if (a->ai_family == AF_INET) {
        break;  // prefer 127.0.0.1 for "localhost", as Go does
      }
    }
  }
  freeaddrinfo(res);
  return error;
}

}  // namespace

AdminServer::AdminServer(ConfigSink& sink) : sink_(sink), changer_(sink) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &stopAsync_, &AdminServer::onStop);
  stopAsync_.data = this;
}

AdminServer::~AdminServer() {
  if (thread_.joinable()) {
    uv_async_send(&stopAsync_);
    thread_.join();
  } else {
    onStop(&stopAsync_);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop_);
  socketFile_.remove();  // after the listener closed: nothing accepts on it any more
}

bool AdminServer::start(const std::string& address, const AdminAccess& access, std::string& error) {
  error.clear();
  auto path = unixSocketPath(address, error);
  if (!error.empty()) {
    return false;
  }
  if (path ? !bindUnix(*path, error) : !bindTcp(address, access, error)) {
    return false;
  }
  if (path) {
    bound_ = address;  // as Caddy logs it
    guard_.emplace(AdminGuard::forUnixSocket(access));
  }
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  return true;
}

bool AdminServer::bindUnix(const std::string& path, std::string& error) {
  error = clearStaleSocket(path);
  if (!error.empty()) {
    error = "admin endpoint: " + error;
    return false;
  }
  uv_pipe_init(&loop_, &listener_.pipe, 0);
  listener_.pipe.data = this;
  listenerOpen_ = true;
  unix_ = true;
  // The file gets the process umask's permissions, as Go's net.Listen("unix") leaves it.
  int rc = uv_pipe_bind(&listener_.pipe, path.c_str());
  if (rc == 0) {
    socketFile_.adopt(path);
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_.pipe), 64, &AdminServer::onConnection);
  }
  if (rc != 0) {
    error = "admin endpoint on unix/" + path + ": " + uv_strerror(rc);
    return false;
  }
  return true;
}

bool AdminServer::bindTcp(const std::string& address, const AdminAccess& access, std::string& error) {
  sockaddr_storage ss{};
  error = resolveLoopback(address, ss);
  if (!error.empty()) {
    return false;
  }
  uv_tcp_init(&loop_, &listener_.tcp);
  listener_.tcp.data = this;
  listenerOpen_ = true;
  int rc = uv_tcp_bind(&listener_.tcp, reinterpret_cast<const sockaddr*>(&ss), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_.tcp), 64, &AdminServer::onConnection);
  }
  if (rc != 0) {
    error = "admin endpoint on " + address + ": " + uv_strerror(rc);
    return false;
  }
  sockaddr_storage bound{};
  int len = sizeof(bound);
  uv_tcp_getsockname(&listener_.tcp, reinterpret_cast<sockaddr*>(&bound), &len);
  char ip[INET6_ADDRSTRLEN] = {};
  if (bound.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&bound);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
    bound_ = "[" + std::string(ip) + "]:" + std::to_string(ntohs(a->sin6_port));
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&bound);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
    bound_ = std::string(ip) + ":" + std::to_string(ntohs(a->sin_port));
  }
  const bool bracketed = !address.empty() && address.front() == '[';
  const std::string host =
      bracketed ? address.substr(1, address.find(']') - 1) : address.substr(0, address.rfind(':'));
  // Port 0 asks for any port: the one bound is the one clients name.
  const int port = bound.ss_family == AF_INET6
                       ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                       : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  guard_.emplace(access, host, port);
  // Caddy logs the address as configured ("localhost:2019"); only a port-0 request names the
  // port it got, since that is the one clients must use.
  if (!address.ends_with(":0")) {
    bound_ = address;
  }
  return true;
}

void AdminServer::onConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<AdminServer*>(server->data);
  if (status < 0 || self->stopping_) {
    return;
  }
  auto conn = std::make_unique<AdminConnection>(*self, self->unix_);
  AdminConnection* raw = conn.get();
  self->connections_.emplace(raw, std::move(conn));
  raw->accept(server);
}

void AdminServer::onConnectionClosed(AdminConnection* c) {
  connections_.erase(c);
}

void AdminServer::onStop(uv_async_t* a) {
  auto* self = static_cast<AdminServer*>(a->data);
  if (self->stopping_) {
    return;
  }
  self->stopping_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&self->stopAsync_), nullptr);
  if (self->listenerOpen_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&self->listener_.tcp), nullptr);
  }
  std::vector<AdminConnection*> open;
  for (auto& [c, _] : self->connections_) {
    open.push_back(c);
  }
  for (auto* c : open) {
    c->close();  // a load in flight finishes on the pool; its connection frees afterwards
  }
}

}  // namespace gatehouse::admin
