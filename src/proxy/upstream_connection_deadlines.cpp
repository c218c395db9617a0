// transport http `read_timeout` / `write_timeout`. Go's transport gives each Read and Write
// of the upstream connection its own deadline, so: a read that waits longer than
// read_timeout for the upstream's next bytes fails (504 before the head, an aborted
// response after it, a closed tunnel; a parked connection simply goes, as Go's idle read
// times out), and a write the kernel has not taken within write_timeout fails (502). One
// timer per connection, made only when a timeout is set; a read moves its deadline by a
// store, and the timer re-arms itself for what is left when it fires early.
#include <sys/socket.h>

#include <algorithm>
#include <limits>

#include "proxy/upstream_connection.h"
#include "server/peer_address.h"

namespace gatehouse::proxy {

namespace {

std::string hostPort(const sockaddr_storage& ss) {
  uint16_t port = 0;
  const std::string ip = server::ipString(ss, port);
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

}  // namespace

void UpstreamConnection::armDeadlines() {
  const auto readAfter = static_cast<uint64_t>(options_.readTimeout.count());
  const auto writeAfter = static_cast<uint64_t>(options_.writeTimeout.count());
  if ((readAfter == 0 && writeAfter == 0) || dead_) {
    return;
  }
  uint64_t due = std::numeric_limits<uint64_t>::max();
  if (reading_ && readAfter != 0) {
    due = readSince_ + readAfter;
  }
  if (writing_ && writeAfter != 0) {
    due = std::min(due, writeSince_ + writeAfter);
  }
  if (due == std::numeric_limits<uint64_t>::max()) {
    if (deadlineTimer_) {
      uv_timer_stop(deadlineTimer_.get());
    }
    return;
  }
  if (!deadlineTimer_) {
    uv_timer_init(loop_, deadlineTimer_.create());
    deadlineTimer_.get()->data = this;
    uv_unref(deadlineTimer_.handle());  // the socket decides whether the loop must live
  }
  const uint64_t now = uv_now(loop_);
  uv_timer_start(deadlineTimer_.get(), &UpstreamConnection::onDeadline, due > now ? due - now : 0, 0);
}

void UpstreamConnection::onDeadline(uv_timer_t* t) {
  auto* self = static_cast<UpstreamConnection*>(t->data);
  if (self->dead_) {
    return;
  }
  const uint64_t now = uv_now(self->loop_);
  const auto readAfter = static_cast<uint64_t>(self->options_.readTimeout.count());
  const auto writeAfter = static_cast<uint64_t>(self->options_.writeTimeout.count());
  const bool readLate = self->reading_ && readAfter != 0 && now >= self->readSince_ + readAfter;
  const bool writeLate = self->writing_ && writeAfter != 0 && now >= self->writeSince_ + writeAfter;
  if (!readLate && !writeLate) {
    self->armDeadlines();  // bytes came (or a write finished) since it was armed
    return;
  }
  if (self->listener_ == nullptr) {
    self->die();  // parked: the pool drops dead connections
    return;
  }
  self->failure_ = self->ioTimeoutText(readLate ? "read" : "write");
  self->failureWorded_ = true;
  // A read deadline is a net timeout, which Caddy answers 504; a write deadline reaches
  // Caddy as the broken connection it leaves behind: 502.
  self->fail(readLate ? UV_ETIMEDOUT : UV_ECANCELED, false);
}

// Go's net.OpError text: "read tcp 127.0.0.1:50412->127.0.0.1:8080: i/o timeout".
std::string UpstreamConnection::ioTimeoutText(const char* op) const {
  std::string text = std::string(op) + (unix_ ? " unix " : " tcp ");
  if (unix_) {
    text += "->" + dial_.substr(dial_.find('/') + 1);
  } else {
    sockaddr_storage local{};
    sockaddr_storage peer{};
    if (socketNames(local, peer)) {
      text += hostPort(local) + "->" + hostPort(peer);
    }
  }
  return text + ": i/o timeout";
}

}  // namespace gatehouse::proxy
