#pragma once
// Asynchronous HTTP client: libcurl's multi interface driven by a libuv loop
// (curl_multi_socket_action from uv_poll and uv_timer callbacks), so ACME traffic never
// blocks the loop it shares with listeners and timers. At most 6 transfers run at once (the
// others wait their turn here, their timeout not yet running), over connections curl reuses
// (multiplexed over an HTTP/2 one already up), so a burst of ACME orders keeps few
// connections to its CA. Loop-thread only.
//
// Lifetime: destroying the client cancels transfers in flight without calling their
// callbacks and closes its uv handles; the loop must run afterwards to finish closing them
// (their memory is freed in the close callbacks).

#include <uv.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "http/curl_handles.h"
#include "http/http_types.h"

namespace gatehouse::acme {

struct HttpClientOptions {
  std::string caBundle;  // PEM file of trusted roots; "" = the system store
  std::string userAgent = "Gatehouse";
  size_t maxBodyBytes = 8 << 20;  // ACME responses are small; a larger body is an error
};

class HttpClient {
 public:
  using Callback = std::function<void(HttpResponse)>;

  HttpClient(uv_loop_t* loop, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts the exchange; `done` runs later on the loop (never from inside send()). A
  // callback may send more requests, and may destroy the client (a failed DNS-01 order of
  // a one-shot `certs` run shuts its provider down from the provider's own answer): the
  // transfers still in flight are then cancelled without their callbacks.
  void send(HttpRequest request, Callback done);
  [[nodiscard]] size_t inFlight() const { return transfers_.size() + waiting_.size(); }
  // Aborts every transfer in flight without calling its callback (what the callbacks
  // captured is released), so a shutting-down owner never waits for a CA's timeouts.
  void cancelAll();
  [[nodiscard]] uv_loop_t* loop() const { return loop_; }

 private:
  struct Transfer;
  struct SocketWatch;

  static int onSocket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
  static int onTimer(CURLM* multi, long timeoutMs, void* userp);
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onTimeout(uv_timer_t* timer);
  static size_t onHeader(char* data, size_t size, size_t n, void* userp);
  static size_t onBody(char* data, size_t size, size_t n, void* userp);

  void start(std::unique_ptr<Transfer> t);
  void startWaiting();
  void socketAction(curl_socket_t s, int flags);
  void collectFinished();
  void closeWatch(SocketWatch* w);

  uv_loop_t* loop_;
  HttpClientOptions options_;
  CurlMultiPtr multi_;
  uv_timer_t* timer_;                                     // owned; freed in its close callback
  std::map<CURL*, std::unique_ptr<Transfer>> transfers_;  // started
  std::deque<std::unique_ptr<Transfer>> waiting_;         // beyond kMaxInFlight, in order
  std::map<curl_socket_t, SocketWatch*> watches_;         // owned; freed in their close callbacks
  // False once destroyed: collectFinished stops if a callback destroyed the client.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gatehouse::acme
