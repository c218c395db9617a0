#pragma once
// The nghttp2 side of Http2Session: session options, SETTINGS and the C callbacks, each a
// trampoline into the session. Internal to src/http.

#include <nghttp2/nghttp2.h>

#include <string>

#include "http/http2_session.h"

namespace gatehouse::http {

class Http2Session::Callbacks {
 public:
  // A server session with flow control left to us and flood limits set; nullptr on OOM.
  static nghttp2_session* newServer(Http2Session& self);
  // Our initial SETTINGS (queued; sent with the first output). nghttp2 is told no stream
  // limit (it ends the whole connection for a stream over it once the SETTINGS are
  // acknowledged); the session enforces the limit itself, stream by stream, as Go does, and
  // announceStreamLimit() puts it in the frame on the wire.
  static int submitSettings(nghttp2_session* session, const Http2Limits& limits);
  // Writes `limit` into the SETTINGS_MAX_CONCURRENT_STREAMS entry of the SETTINGS frame that
  // starts at out[at] (the first frame nghttp2 sends); false if no such frame is there.
  static bool announceStreamLimit(std::string& out, size_t at, uint32_t limit);
  static ssize_t readBody(nghttp2_session* session, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                          nghttp2_data_source* source, void* user);

 private:
  static Http2Session& self(void* user) { return *static_cast<Http2Session*>(user); }
  static int onBeginFrame(nghttp2_session* session, const nghttp2_frame_hd* hd, void* user);
  static int onBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* user);
  static int onHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags, void* user);
  static int onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user);
  static int onDataChunk(nghttp2_session* session, uint8_t flags, int32_t id, const uint8_t* data, size_t len,
                         void* user);
  static int onFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void* user);
  static int onFrameNotSend(nghttp2_session* session, const nghttp2_frame* frame, int error, void* user);
  static int onStreamClose(nghttp2_session* session, int32_t id, uint32_t errorCode, void* user);
};

// Go's http2 server: the header list may hold max_header_bytes plus room for the
// per-field overhead of ten typical fields.
uint32_t maxHeaderListSize(const Http2Limits& limits);

// The largest response (or trailer) header block we send. nghttp2's default (64 KiB) is far
// below what Caddy sends: Go's server has no limit and splits any head into CONTINUATION
// frames. A head beyond this one gets RST_STREAM INTERNAL_ERROR (Http2Session::frameNotSent).
inline constexpr size_t kMaxSendHeaderBlock = size_t{16} << 20;

}  // namespace gatehouse::http
