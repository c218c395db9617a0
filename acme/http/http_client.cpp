#include "http/http_client.h"

#include <stdexcept>

namespace gatehouse::acme {

struct HttpClient::Transfer {
  CurlEasyPtr easy;
  CurlSlistPtr headers;
  std::string requestBody;
  HttpResponse response;
  Callback done;
  size_t maxBody = 0;
  bool tooLarge = false;
  char errbuf[CURL_ERROR_SIZE] = {0};
};

struct HttpClient::SocketWatch {
  uv_poll_t poll;
  curl_socket_t fd;
  HttpClient* client;
};

namespace {
// Few transfers at once per client (each ACME issuer has its own, talking to one CA), so
// few connections: curl reuses idle ones from its cache and multiplexes over HTTP/2, as Go's
// client (Caddy's) does with one connection to an HTTPS CA. Without a cap, curl opens one
// per transfer started before a connection exists (101 to pebble with 200 orders at once).
// Why neither CURLMOPT_MAX_HOST_CONNECTIONS nor CURLOPT_PIPEWAIT: with libcurl 7.88.1 and
// the multi-socket API, transfers they hold back resume late (40 requests to a local
// HTTP/1.1 listener: 9.4 s with the host cap, 7.0 s with PIPEWAIT and our cap, 0.25 s with
// our cap alone); the waiting here starts each transfer as soon as one ends.
constexpr size_t kMaxInFlight = 6;
constexpr long kMaxCachedConnections = 6;

template <typename T>
void freeOnClose(uv_handle_t* h) {
  std::unique_ptr<T> owned(static_cast<T*>(h->data));
}
}  // namespace

HttpClient::HttpClient(uv_loop_t* loop, HttpClientOptions options)
    : loop_(loop), options_(std::move(options)), multi_(curl_multi_init()) {
  if (!multi_)
    throw std::runtime_error("curl_multi_init failed");
  auto timer = std::make_unique<uv_timer_t>();
  uv_timer_init(loop_, timer.get());
  timer_ = timer.release();
  timer_->data = this;
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &HttpClient::onSocket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &HttpClient::onTimer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, kMaxCachedConnections);  // idle ones, for reuse
  curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
}

HttpClient::~HttpClient() {
  *alive_ = false;
  waiting_.clear();
  for (auto& [easy, t] : transfers_) {
    curl_multi_remove_handle(multi_.get(), easy);
  }
  transfers_.clear();
  // curl must not call back into a half-destroyed client while it cleans up.
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, static_cast<curl_socket_callback>(nullptr));
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, static_cast<curl_multi_timer_callback>(nullptr));
  multi_.reset();
  for (auto& [fd, w] : watches_) {
    uv_poll_stop(&w->poll);
    w->poll.data = w;
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), &freeOnClose<SocketWatch>);
  }
  watches_.clear();
  uv_timer_stop(timer_);
  timer_->data = timer_;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), &freeOnClose<uv_timer_t>);
}

void HttpClient::cancelAll() {
  // Moved out first: releasing a callback may release flows that send (and fail) again.
  auto cancelled = std::move(transfers_);
  transfers_.clear();
  auto notStarted = std::move(waiting_);
  waiting_.clear();
  notStarted.clear();
  for (auto& [easy, t] : cancelled) {
    curl_multi_remove_handle(multi_.get(), easy);
  }
  cancelled.clear();
}

void HttpClient::send(HttpRequest request, Callback done) {
  auto t = std::make_unique<Transfer>();
  t->done = std::move(done);
  t->maxBody = options_.maxBodyBytes;
  t->easy.reset(curl_easy_init());
  CURL* e = t->easy.get();
  if (e == nullptr)
    throw std::runtime_error("curl_easy_init failed");
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(e, CURLOPT_USERAGENT, options_.userAgent.c_str());
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpClient::onHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpClient::onBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (!options_.caBundle.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, options_.caBundle.c_str());
  }
  if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    t->requestBody = std::move(request.body);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    if (request.method != "POST") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());  // deSEC's rrsets
    }
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->requestBody.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->requestBody.size()));
  } else if (request.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (request.method == "DELETE") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");  // DNS provider APIs
  }
  curl_slist* list = nullptr;
  for (const auto& [k, v] : request.headers) {
    curl_slist* next = curl_slist_append(list, (k + ": " + v).c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      throw std::runtime_error("curl_slist_append failed");
    }
    list = next;
  }
  // No "Expect: 100-continue" round trip for small JWS bodies.
  list = curl_slist_append(list, "Expect:");
  t->headers.reset(list);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  if (transfers_.size() >= kMaxInFlight) {
    waiting_.push_back(std::move(t));
    return;
  }
  start(std::move(t));
}

void HttpClient::start(std::unique_ptr<Transfer> t) {
  CURL* e = t->easy.get();
  transfers_.emplace(e, std::move(t));
  // curl arms its timer from inside add_handle; the transfer starts from that callback.
  curl_multi_add_handle(multi_.get(), e);
}

void HttpClient::startWaiting() {
  while (transfers_.size() < kMaxInFlight && !waiting_.empty()) {
    std::unique_ptr<Transfer> t = std::move(waiting_.front());
    waiting_.pop_front();
    start(std::move(t));
  }
}

size_t HttpClient::onHeader(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response head (after 1xx)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    t->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

size_t HttpClient::onBody(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  if (t->response.body.size() + size * n > t->maxBody) {
    t->tooLarge = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, size * n);
  return size * n;
}

int HttpClient::onSocket(CURL* /*easy*/, curl_socket_t s, int what, void* userp, void* socketp) {
  auto* self = static_cast<HttpClient*>(userp);
  auto* w = static_cast<SocketWatch*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (w != nullptr) {
      curl_multi_assign(self->multi_.get(), s, nullptr);
      self->closeWatch(w);
    }
    return 0;
  }
  if (w == nullptr) {
    auto owned = std::make_unique<SocketWatch>();
    owned->fd = s;
    owned->client = self;
    if (uv_poll_init_socket(self->loop_, &owned->poll, s) != 0)
      return -1;
    owned->poll.data = owned.get();
    w = owned.release();
    self->watches_[s] = w;
    curl_multi_assign(self->multi_.get(), s, w);
  }
  int events = 0;
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  uv_poll_start(&w->poll, events, &HttpClient::onPoll);
  return 0;
}

void HttpClient::closeWatch(SocketWatch* w) {
  watches_.erase(w->fd);
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), &freeOnClose<SocketWatch>);
}

int HttpClient::onTimer(CURLM* /*multi*/, long timeoutMs, void* userp) {
  auto* self = static_cast<HttpClient*>(userp);
  if (timeoutMs < 0) {
    uv_timer_stop(self->timer_);
  } else {
    // 0 means "now": a zero-delay timer runs on the next loop iteration, outside curl.
    uv_timer_start(self->timer_, &HttpClient::onTimeout, static_cast<uint64_t>(timeoutMs), 0);
  }
  return 0;
}

void HttpClient::onPoll(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<SocketWatch*>(handle->data);
  int flags = 0;
  if (status < 0)
    flags |= CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  w->client->socketAction(w->fd, flags);
}

void HttpClient::onTimeout(uv_timer_t* timer) {
  static_cast<HttpClient*>(timer->data)->socketAction(CURL_SOCKET_TIMEOUT, 0);
}

void HttpClient::socketAction(curl_socket_t s, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), s, flags, &running);
  collectFinished();
}

void HttpClient::collectFinished() {
  const std::shared_ptr<bool> alive = alive_;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    CURL* easy = msg->easy_handle;
    const CURLcode result = msg->data.result;
    curl_multi_remove_handle(multi_.get(), easy);
    auto it = transfers_.find(easy);
    if (it == transfers_.end())
      continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);
    startWaiting();
    if (result == CURLE_OK) {
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t->response.status);
    } else {
      t->response.status = 0;
      t->response.transient =
          !t->tooLarge &&
          (result == CURLE_COULDNT_CONNECT || result == CURLE_SEND_ERROR || result == CURLE_RECV_ERROR ||
           result == CURLE_GOT_NOTHING || result == CURLE_PARTIAL_FILE || result == CURLE_SSL_CONNECT_ERROR);
      t->response.error = t->tooLarge ? "response body larger than " + std::to_string(t->maxBody) + " bytes"
                          : t->errbuf[0] != '\0' ? std::string(t->errbuf)
                                                 : std::string(curl_easy_strerror(result));
    }
    // The callback may send new requests (which curl_multi_info_read tolerates) or destroy
    // the client, whose multi handle the loop would then read freed (ASan found it in
    // e2e_acme_dns_providers_test).
    Callback done = std::move(t->done);
    HttpResponse response = std::move(t->response);
    t.reset();
    done(std::move(response));
    if (!*alive)
      return;
  }
}

}  // namespace gatehouse::acme
