#include "proxy/upstream_dial_race.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace gatehouse::proxy {

namespace {
constexpr std::chrono::milliseconds kDefaultFallbackDelay{300};  // Go's, for 0
constexpr std::chrono::milliseconds kSaneMinimum{2'000};         // Go's partial deadline floor
}  // namespace

// The socket and its connect request live together until libuv's close callback, which
// comes after the cancelled request's callback; `owner` is cleared when the race lets go.
struct DialRace::Attempt {
  uv_tcp_t tcp{};
  uv_connect_t req{};
  DialRace* owner = nullptr;
  size_t chain = 0;
  sockaddr_storage address{};
};

DialRace::DialRace(uv_loop_t* loop, AddressList addresses, const Settings& settings, Done done)
    : loop_(loop), settings_(settings), done_(std::move(done)) {
  if (const sockaddr_storage* local = settings_.localAddress) {
    std::erase_if(addresses, [&](const sockaddr_storage& a) { return a.ss_family != local->ss_family; });
  }
  if (addresses.empty()) {
    return;
  }
  const int first = addresses.front().ss_family;
  for (const auto& a : addresses) {
    const bool primary = settings_.fallbackDelay.count() < 0 || a.ss_family == first;
    chains_[primary ? 0 : 1].addresses.push_back(a);
  }
}

DialRace::~DialRace() {
  for (auto& chain : chains_) {
    closeAttempt(chain);
  }
}

int DialRace::start() {
  if (chains_[0].addresses.empty()) {
    return UV_EAI_ADDRFAMILY;  // Go: "no suitable address found"
  }
  if (settings_.timeout.count() > 0) {
    deadlineAt_ = uv_now(loop_) + static_cast<uint64_t>(settings_.timeout.count());
  }
  starting_ = true;
  startChain(0);
  if (!finished_ && !chains_[1].addresses.empty() && !chains_[1].started) {
    const auto delay = settings_.fallbackDelay.count() > 0 ? settings_.fallbackDelay : kDefaultFallbackDelay;
    uv_timer_init(loop_, fallbackTimer_.create());
    fallbackTimer_.get()->data = this;
    uv_timer_start(fallbackTimer_.get(), &DialRace::onFallbackTimer, static_cast<uint64_t>(delay.count()), 0);
  }
  starting_ = false;
  return finished_ ? syncError_ : 0;
}

void DialRace::onFallbackTimer(uv_timer_t* t) {
  if (auto* self = static_cast<DialRace*>(t->data)) {
    self->fallbackTimer_.reset();
    self->startChain(1);
  }
}

void DialRace::startChain(size_t c) {
  Chain& chain = chains_[c];
  if (chain.started || finished_) {
    return;
  }
  chain.started = true;
  advance(c);
}

// Go's partialDeadline: the time left shared among the addresses left, at least 2 s.
std::chrono::milliseconds DialRace::attemptTimeout(const Chain& chain) const {
  if (deadlineAt_ == 0) {
    return std::chrono::milliseconds(0);
  }
  const uint64_t now = uv_now(loop_);
  if (now >= deadlineAt_) {
    return std::chrono::milliseconds(-1);
  }
  const std::chrono::milliseconds left(deadlineAt_ - now);
  const auto share = left / static_cast<int64_t>(chain.addresses.size() - chain.next);
  return share >= kSaneMinimum ? share : std::min(left, kSaneMinimum);
}

// Starts the chain's next address; a failure to even start moves on to the one after.
void DialRace::advance(size_t c) {
  Chain& chain = chains_[c];
  while (!finished_ && chain.next < chain.addresses.size()) {
    const auto timeout = attemptTimeout(chain);
    if (timeout.count() < 0) {
      chain.lastError = UV_ETIMEDOUT;
      break;
    }
    auto a = std::make_unique<Attempt>();
    a->owner = this;
    a->chain = c;
    a->address = chain.addresses[chain.next++];
    a->req.data = a.get();
    uv_tcp_init(loop_, &a->tcp);
    a->tcp.data = a.get();
    int rc = 0;
    if (settings_.localAddress != nullptr) {
      rc = uv_tcp_bind(&a->tcp, reinterpret_cast<const sockaddr*>(settings_.localAddress), 0);
    }
    if (rc == 0) {
      rc = uv_tcp_connect(&a->req, &a->tcp, reinterpret_cast<const sockaddr*>(&a->address),
                          &DialRace::onConnect);
    }
    chain.current = a.release();
    if (rc != 0) {
      chain.lastError = rc;
      closeAttempt(chain);
      continue;
    }
    if (timeout.count() > 0) {
      if (!chain.deadline) {
        uv_timer_init(loop_, chain.deadline.create());
        chain.deadline.get()->data = this;
      }
      uv_timer_start(chain.deadline.get(), &DialRace::onDeadline, static_cast<uint64_t>(timeout.count()), 0);
    }
    return;
  }
  if (!finished_) {
    chainFailed(c);
  }
}

void DialRace::onDeadline(uv_timer_t* t) {
  auto* self = static_cast<DialRace*>(t->data);
  if (self == nullptr) {
    return;
  }
  const size_t c = self->chains_[0].deadline.get() == t ? 0 : 1;
  self->chains_[c].lastError = UV_ETIMEDOUT;
  self->closeAttempt(self->chains_[c]);
  self->advance(c);
}

void DialRace::onConnect(uv_connect_t* req, int status) {
  auto* a = static_cast<Attempt*>(req->data);
  DialRace* self = a->owner;
  if (self == nullptr) {
    return;  // closed: the race is over or moved on
  }
  const size_t c = a->chain;
  Chain& chain = self->chains_[c];
  if (status < 0) {
    chain.lastError = status;
    self->closeAttempt(chain);
    self->advance(c);
    return;
  }
  // The connection itself lives on in the receiver's own handle: hand over a duplicate of
  // the socket and close ours (libuv drops its epoll registration before closing).
  uv_os_fd_t fd = -1;
  int rc = uv_fileno(reinterpret_cast<uv_handle_t*>(&a->tcp), &fd);
  const int dup = rc == 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  if (rc == 0 && dup < 0) {
    rc = -errno;
  }
  const sockaddr_storage winner = a->address;
  self->closeAttempt(chain);
  if (dup < 0) {
    chain.lastError = rc;
    self->advance(c);
    return;
  }
  self->finish(0, dup, winner);
}

void DialRace::chainFailed(size_t c) {
  chains_[c].failed = true;
  if (c == 0 && !chains_[1].addresses.empty() && !chains_[1].started) {
    fallbackTimer_.reset();
    startChain(1);  // the primaries are out: no reason to wait
    return;
  }
  const Chain& other = chains_[1 - c];
  if (other.addresses.empty() || other.failed) {
    finish(chains_[0].lastError != 0 ? chains_[0].lastError : chains_[1].lastError, -1, {});
  }
}

void DialRace::closeAttempt(Chain& chain) {
  if (chain.deadline) {
    uv_timer_stop(chain.deadline.get());
  }
  Attempt* a = chain.current;
  if (a == nullptr) {
    return;
  }
  chain.current = nullptr;
  a->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&a->tcp),
           [](uv_handle_t* h) { std::unique_ptr<Attempt> dead(static_cast<Attempt*>(h->data)); });
}

void DialRace::finish(int status, uv_os_sock_t socket, const sockaddr_storage& winner) {
  finished_ = true;
  for (auto& chain : chains_) {
    closeAttempt(chain);
  }
  fallbackTimer_.reset();
  if (starting_) {
    syncError_ = status;  // start() returns it
    return;
  }
  Done done = std::move(done_);
  done(status, socket, winner);  // may destroy the race: nothing after this
}

}  // namespace gatehouse::proxy
