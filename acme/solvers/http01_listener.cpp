#include "solvers/http01_listener.h"

#include <cstring>
#include <string_view>
#include <vector>

namespace gatehouse::acme {

struct Http01Listener::Connection : ChallengeConnectionHandles {
  Http01Listener* owner = nullptr;
  uv_write_t write;
  std::string in;
  std::string out;
  char buf[2048];
};

namespace {
std::string reply(int status, std::string_view reason, const std::string& body, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                    "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\nServer: Gatehouse\r\n\r\n";
  if (!head)
    out += body;
  return out;
}
}  // namespace

std::string http01Response(const ChallengeResponder& responder, std::string_view head) {
  const auto lineEnd = head.find("\r\n");
  const std::string_view line = head.substr(0, lineEnd);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
    return reply(400, "Bad Request", "", false);
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (method != "GET" && method != "HEAD")
    return reply(405, "Method Not Allowed", "", method == "HEAD");
  if (auto answer = responder.http01ForPath(target))
    return reply(200, "OK", *answer, method == "HEAD");
  return reply(404, "Not Found", "", method == "HEAD");
}

Http01Listener::Http01Listener(uv_loop_t* loop, const ChallengeResponder& responder)
    : loop_(loop), responder_(responder), server_(loop) {}

Http01Listener::~Http01Listener() {
  close();
}

int Http01Listener::listen(const std::string& host, uint16_t port) {
  return server_.listen(host, port, this, &Http01Listener::onConnection);
}

void Http01Listener::close() {
  server_.close();
  connections_.finishAll();
}

void Http01Listener::onConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<Http01Listener*>(server->data);
  if (status < 0)
    return;
  Connection* c = self->connections_.accept(self->loop_, server, &Http01Listener::onTimeout, kTimeoutMs);
  if (c == nullptr)
    return;
  c->owner = self;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Http01Listener::onAlloc, &Http01Listener::onRead);
}

void Http01Listener::onAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  *buf = uv_buf_init(c->buf, sizeof c->buf);
}

void Http01Listener::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(s->data);
  if (n < 0)
    return c->owner->finish(*c);
  c->in.append(c->buf, static_cast<size_t>(n));
  if (c->in.find("\r\n\r\n") != std::string::npos || c->in.size() > kMaxHead) {
    uv_read_stop(s);
    c->owner->respond(*c);
  }
}

void Http01Listener::onTimeout(uv_timer_t* t) {
  auto* c = static_cast<Connection*>(t->data);
  c->owner->finish(*c);
}

void Http01Listener::respond(Connection& c) {
  c.out = c.in.size() > kMaxHead && c.in.find("\r\n\r\n") == std::string::npos
              ? reply(431, "Request Header Fields Too Large", "", false)
              : http01Response(responder_, c.in);
  c.write.data = &c;
  uv_buf_t buf = uv_buf_init(c.out.data(), static_cast<unsigned>(c.out.size()));
  const int rc = uv_write(&c.write, reinterpret_cast<uv_stream_t*>(&c.tcp), &buf, 1, [](uv_write_t* w, int) {
    auto* conn = static_cast<Connection*>(w->data);
    conn->owner->finish(*conn);
  });
  if (rc != 0)
    finish(c);
}

void Http01Listener::finish(Connection& c) {
  connections_.finish(c);
}

}  // namespace gatehouse::acme
