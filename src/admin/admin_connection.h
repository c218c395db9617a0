#pragma once
// One admin API request on its own connection: parse (llhttp, bounded), check who asks,
// answer, close. Loop-thread only except the endpoint, which runs on the thread pool.

#include <llhttp.h>
#include <uv.h>

#include <string>
#include <utility>
#include <vector>

#include "admin/api_types.h"

namespace gatehouse::admin {

class AdminServer;

class AdminConnection {
 public:
  // `unix`: accepted from a unix socket listener rather than TCP.
  AdminConnection(AdminServer& server, bool unix);
  AdminConnection(const AdminConnection&) = delete;
  AdminConnection& operator=(const AdminConnection&) = delete;

  bool accept(uv_stream_t* listener);
  void close();

 private:
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onTimer(uv_timer_t* t);
  static void onClose(uv_handle_t* h);
  static void doWork(uv_work_t* w);
  static void afterWork(uv_work_t* w, int status);
  static int onUrl(llhttp_t* p, const char* at, size_t len);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onBody(llhttp_t* p, const char* at, size_t len);
  static int onComplete(llhttp_t* p);

  void dispatch();
  void respond(const ApiResponse& r);
  void write(std::string bytes);
  [[nodiscard]] uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&conn_.tcp); }
  // Host and (with enforce_origin) Origin checks; false when a refusal was sent.
  bool allowed();
  // caddy 2.6.2's admin.api "received request" (DEBUG for /metrics).
  void logReceived();
  void maybeFree();

  AdminServer& server_;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } conn_{};
  uv_timer_t timer_{};
  uv_write_t writeReq_{};
  uv_work_t work_{};
  llhttp_t parser_{};
  llhttp_settings_t settings_{};
  std::string readBuf_;
  std::string url_, field_, host_, origin_, referer_, out_;
  std::vector<std::pair<std::string, std::string>> headerLines_;  // as received, for the log
  ApiRequest req_;
  ApiResponse resp_;
  std::function<void()> afterWrite_;
  std::string corsHeaders_;  // Access-Control-* lines for every response (enforce_origin)
  size_t received_ = 0;      // bytes read so far, bounded
  bool lastWasValue_ = false;
  bool unix_ = false;
  bool logged_ = false;  // "received request" went out: API errors are logged too
  bool hostSeen_ = false;
  bool complete_ = false;
  bool tooLarge_ = false;
  bool working_ = false;
  bool closing_ = false;
  int openHandles_ = 0;
};

}  // namespace gatehouse::admin
