#pragma once
// One FastCGI request on a connection of its own (Caddy's transport dials per request and
// lets the application close it): the connection is an UpstreamConnection carrying raw
// bytes (frames mode), dialed as reverse_proxy dials (tcp or unix). Requests go out as
// BEGIN_REQUEST, PARAMS and STDIN records; FCGI_STDOUT comes back as a CGI head and body,
// reported to the owner through the same Listener an HTTP/1.1 connection reports to, so
// ProxyCall's response path (header_down, handle_response, back-pressure) serves both.
// STDERR is logged when capture_stderr asks for it, else dropped. read_timeout and
// write_timeout are deadlines from the connection's start, as Go's deadlines are set once.
// Loop thread only; the owner destroys it from its own context, never inside a callback.

#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/fastcgi_head.h"
#include "proxy/fastcgi_record.h"
#include "proxy/fastcgi_transport.h"
#include "proxy/upstream_connection.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class FastCgiStream final : private UpstreamConnection::Listener, private fcgi::RecordReader::Sink {
 public:
  FastCgiStream(uv_loop_t* loop, const UpstreamAddress& address, uv_buf_t readBuffer, size_t maxHeadBytes,
                const FastCgiTransport& transport, UpstreamConnection::Listener& owner);
  ~FastCgiStream() override;
  FastCgiStream(const FastCgiStream&) = delete;
  FastCgiStream& operator=(const FastCgiStream&) = delete;

  // Starts connecting; a non-zero libuv error means it failed at once (no callback follows).
  int connect(const UpstreamAddress& address, const DialOptions& options);
  // BEGIN_REQUEST and the PARAMS stream (`params`: encoded pairs); without a body the empty
  // STDIN that completes the request follows at once.
  void sendHead(std::string_view params, bool body);
  // A piece of the request body as STDIN records; `eof` closes the STDIN stream.
  void sendStdin(std::string_view data, bool eof);
  void pauseReading();
  void resumeReading();

  [[nodiscard]] bool connected() const { return conn_->connected(); }
  [[nodiscard]] const std::string& failure() const { return failure_; }

 private:
  // The connection's side (frames mode: raw bytes only).
  void onUpstreamConnected() override;
  void onUpstreamHead(ResponseHead& /*head*/) override {}
  void onUpstreamBody(std::string_view /*data*/) override {}
  void onUpstreamEnd() override {}
  void onUpstreamWritten() override;
  void onUpstreamError(int uvError) override;
  void onUpstreamTunnelData(std::string_view data) override;
  void onUpstreamTunnelEof() override;
  // Records.
  bool onRecordContent(fcgi::RecordType t, uint16_t requestId, std::string_view piece) override;
  bool onRecordEnd(fcgi::RecordType t, uint16_t requestId) override;

  bool takeStdout(std::string_view piece);
  bool finishResponse();
  void fail(int uvError, std::string why);
  void logStderr();
  void armDeadline(UvHandle<uv_timer_t>& timer, std::chrono::milliseconds after);
  static void onDeadline(uv_timer_t* t);
  // Calls into the owner; false when that destroyed this stream.
  template <typename F>
  bool toOwner(F&& f);

  uv_loop_t* loop_;
  const FastCgiTransport& transport_;
  UpstreamConnection::Listener& owner_;
  std::unique_ptr<UpstreamConnection> conn_;
  fcgi::RecordReader reader_;
  CgiHeadReader headReader_;
  ResponseHead head_;
  std::string out_;     // records being written
  std::string stderr_;  // captured FCGI_STDERR (bounded)
  std::string failure_;
  UvHandle<uv_timer_t> readDeadline_;
  UvHandle<uv_timer_t> writeDeadline_;
  std::shared_ptr<char> life_ = std::make_shared<char>('\0');
  bool headDone_ = false;
  bool ended_ = false;
  bool failed_ = false;
  bool stdinDone_ = false;
  bool eofPending_ = false;  // the upstream's EOF came while a write was in flight
};

}  // namespace gatehouse::proxy
