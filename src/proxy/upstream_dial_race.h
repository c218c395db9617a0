#pragma once
// Dialling a name that has several addresses, as Go's net.Dialer does for Caddy (RFC 8305
// Happy Eyeballs). The addresses of the first one's family (the primaries) are tried one
// after the other; when the name also has addresses of the other family (the fallbacks)
// and the fallback delay is not negative, a second chain tries those, starting after the
// delay (0 means Go's 300 ms) or at once when the primaries have all failed. The first
// TCP connection wins and the other attempt is closed. A negative delay dials every
// address in turn. With a dial timeout, each attempt of a chain gets an equal share of the
// time left (at least 2 s, as Go's partial deadlines). Only the TCP connect races: TLS
// and the PROXY header follow on the winner (UpstreamConnection). Loop thread only;
// destroying the race cancels it (no callback).

#include <uv.h>

#include <array>
#include <chrono>
#include <functional>
#include <vector>

#include "proxy/upstream_resolver.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class DialRace {
 public:
  // status 0 with the winning connected socket (the receiver owns it), or a libuv error
  // (the primaries' last one when every address failed).
  using Done = std::function<void(int status, uv_os_sock_t socket, const sockaddr_storage& winner)>;
  struct Settings {
    std::chrono::milliseconds fallbackDelay{0};  // < 0: no racing; 0: 300 ms
    std::chrono::milliseconds timeout{0};        // the dial timeout; 0: none
    const sockaddr_storage* localAddress = nullptr;
  };

  // `addresses`: non-empty, in dial order. With a local address only those of its family
  // are dialled (as Go).
  DialRace(uv_loop_t* loop, AddressList addresses, const Settings& settings, Done done);
  ~DialRace();
  DialRace(const DialRace&) = delete;
  DialRace& operator=(const DialRace&) = delete;

  // Starts dialling. Non-zero: every address failed at once (`done` is never called).
  int start();

 private:
  struct Attempt;
  struct Chain {
    AddressList addresses;
    size_t next = 0;
    Attempt* current = nullptr;
    int lastError = 0;
    bool started = false;
    bool failed = false;
    UvHandle<uv_timer_t> deadline;  // this attempt's share of the dial timeout
  };

  void startChain(size_t c);
  void advance(size_t c);
  void chainFailed(size_t c);
  void closeAttempt(Chain& chain);
  void finish(int status, uv_os_sock_t socket, const sockaddr_storage& winner);
  std::chrono::milliseconds attemptTimeout(const Chain& chain) const;
  static void onConnect(uv_connect_t* req, int status);
  static void onFallbackTimer(uv_timer_t* t);
  static void onDeadline(uv_timer_t* t);

  uv_loop_t* loop_;
  Settings settings_;
  Done done_;
  std::array<Chain, 2> chains_;  // primaries, fallbacks
  UvHandle<uv_timer_t> fallbackTimer_;
  uint64_t deadlineAt_ = 0;  // loop ms; 0: none
  bool starting_ = false;    // inside start(): failures are returned, not called back
  bool finished_ = false;
  int syncError_ = 0;
};

}  // namespace gatehouse::proxy
