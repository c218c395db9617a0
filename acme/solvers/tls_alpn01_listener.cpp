#include "solvers/tls_alpn01_listener.h"

#include <openssl/err.h>

#include <cstring>
#include <string_view>
#include <vector>

namespace gatehouse::acme {

struct TlsAlpn01Listener::Connection : ChallengeConnectionHandles {
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  TlsAlpn01Listener* owner = nullptr;
  std::unique_ptr<SSL, SslFree> ssl;
  BIO* in = nullptr;   // owned by ssl
  BIO* out = nullptr;  // owned by ssl
  char buf[4096];
  size_t received = 0;
  int writes = 0;              // uv_write requests in flight
  bool handshakeOver = false;  // close once the last flight is written
};

namespace {
struct WriteRequest {
  uv_write_t req;
  std::string data;
  void* connection = nullptr;
};
}  // namespace

TlsAlpn01Listener::TlsAlpn01Listener(uv_loop_t* loop,
                                     std::shared_ptr<const tls::ChallengeCertificateProvider> certificates)
    : loop_(loop), certificates_(std::move(certificates)), server_(loop) {}

TlsAlpn01Listener::~TlsAlpn01Listener() {
  close();
}

bool TlsAlpn01Listener::makeContext() {
  ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (!ctx_)
    return false;
  SSL_CTX* ctx = ctx_.get();
  // RFC 8737 section 4: TLS 1.2 or later. No tickets: every connection is one validation.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_tlsext_servername_callback(ctx, &TlsAlpn01Listener::onServerName);
  SSL_CTX_set_tlsext_servername_arg(ctx, this);
  SSL_CTX_set_alpn_select_cb(ctx, &TlsAlpn01Listener::onAlpn, this);
  return true;
}

int TlsAlpn01Listener::listen(const std::string& host, uint16_t port) {
  if (!ctx_ && !makeContext())
    return UV_EPROTO;
  return server_.listen(host, port, this, &TlsAlpn01Listener::onConnection);
}

void TlsAlpn01Listener::close() {
  server_.close();
  connections_.finishAll();
}

// The certificate for the SNI name, when a challenge for it is presented; else the
// handshake ends with unrecognized_name (nothing else is served here).
int TlsAlpn01Listener::onServerName(SSL* ssl, int* alert, void* arg) {
  auto* self = static_cast<TlsAlpn01Listener*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  auto cert = name != nullptr ? self->certificates_->challengeCertificate(name) : nullptr;
  if (!cert || !cert->useOn(ssl)) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

// Only "acme-tls/1" is spoken (RFC 8737 section 3): a client not offering it is refused.
int TlsAlpn01Listener::onAlpn(SSL*, const unsigned char** out, unsigned char* outLen, const unsigned char* in,
                              unsigned int inLen, void*) {
  const std::string_view want = tls::kAcmeTlsAlpn;
  for (unsigned int i = 0; i < inLen;) {
    const unsigned int n = in[i];
    if (i + 1 + n > inLen)
      break;
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), n) == want) {
      *out = in + i + 1;
      *outLen = static_cast<unsigned char>(n);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + n;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

void TlsAlpn01Listener::onConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<TlsAlpn01Listener*>(server->data);
  if (status < 0)
    return;
  Connection* accepted =
      self->connections_.accept(self->loop_, server, &TlsAlpn01Listener::onTimeout, kTimeoutMs);
  if (accepted == nullptr)
    return;
  Connection& c = *accepted;
  c.owner = self;
  c.ssl.reset(SSL_new(self->ctx_.get()));
  c.in = BIO_new(BIO_s_mem());
  c.out = BIO_new(BIO_s_mem());
  if (!c.ssl || c.in == nullptr || c.out == nullptr) {
    BIO_free(c.in);
    BIO_free(c.out);
    c.in = c.out = nullptr;
    return self->finish(c);
  }
  SSL_set_bio(c.ssl.get(), c.in, c.out);
  SSL_set_accept_state(c.ssl.get());
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c.tcp), &TlsAlpn01Listener::onAlloc,
                &TlsAlpn01Listener::onRead);
}

void TlsAlpn01Listener::onAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  *buf = uv_buf_init(c->buf, sizeof c->buf);
}

void TlsAlpn01Listener::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(s->data);
  if (n < 0 || c->received + static_cast<size_t>(n) > kMaxIn)
    return c->owner->finish(*c);
  c->received += static_cast<size_t>(n);
  BIO_write(c->in, c->buf, static_cast<int>(n));
  c->owner->handshake(*c);
}

void TlsAlpn01Listener::onTimeout(uv_timer_t* t) {
  auto* c = static_cast<Connection*>(t->data);
  c->owner->finish(*c);
}

void TlsAlpn01Listener::handshake(Connection& c) {
  const int rc = SSL_do_handshake(c.ssl.get());
  if (rc != 1) {
    const int err = SSL_get_error(c.ssl.get(), rc);
    if (err != SSL_ERROR_WANT_READ)
      c.handshakeOver = true;  // failed: the alert (if any) is flushed, then we close
    ERR_clear_error();
  } else {
    c.handshakeOver = true;  // done: the validator has seen the certificate
  }
  if (c.handshakeOver)
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.tcp));
  flush(c);
}

void TlsAlpn01Listener::flush(Connection& c) {
  const size_t pending = BIO_ctrl_pending(c.out);
  if (pending > 0) {
    auto w = std::make_unique<WriteRequest>();
    w->data.resize(pending);
    const int n = BIO_read(c.out, w->data.data(), static_cast<int>(pending));
    w->data.resize(n > 0 ? static_cast<size_t>(n) : 0);
    w->connection = &c;
    w->req.data = w.get();
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    const int rc =
        uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c.tcp), &buf, 1, [](uv_write_t* req, int) {
          std::unique_ptr<WriteRequest> owned(static_cast<WriteRequest*>(req->data));
          auto* conn = static_cast<Connection*>(owned->connection);
          --conn->writes;
          if (!conn->done && conn->handshakeOver && conn->writes == 0)
            conn->owner->finish(*conn);
        });
    if (rc != 0)
      return finish(c);
    ++c.writes;
    w.release();  // freed by its write callback
  }
  if (c.handshakeOver && c.writes == 0)
    finish(c);
}

void TlsAlpn01Listener::finish(Connection& c) {
  connections_.finish(c);
}

}  // namespace gatehouse::acme
