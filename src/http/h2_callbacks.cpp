#include "http/h2_callbacks.h"

#include <array>
#include <limits>
#include <memory>
#include <string_view>

namespace gatehouse::http {

namespace {
struct OptionDeleter {
  void operator()(nghttp2_option* o) const { nghttp2_option_del(o); }
};
struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* c) const { nghttp2_session_callbacks_del(c); }
};

// What nghttp2 enforces as our SETTINGS_MAX_CONCURRENT_STREAMS: nothing (see submitSettings).
constexpr uint32_t kNoStreamLimit = NGHTTP2_INITIAL_MAX_CONCURRENT_STREAMS;

std::string_view view(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}
}  // namespace

uint32_t maxHeaderListSize(const Http2Limits& limits) {
  const uint64_t n = uint64_t{limits.maxHeaderBytes} + 10 * 32;
  return static_cast<uint32_t>(std::min<uint64_t>(n, std::numeric_limits<uint32_t>::max()));
}

nghttp2_session* Http2Session::Callbacks::newServer(Http2Session& self) {
  nghttp2_option* rawOption = nullptr;
  nghttp2_session_callbacks* rawCallbacks = nullptr;
  if (nghttp2_option_new(&rawOption) != 0 || nghttp2_session_callbacks_new(&rawCallbacks) != 0) {
    nghttp2_option_del(rawOption);
    return nullptr;
  }
  std::unique_ptr<nghttp2_option, OptionDeleter> option(rawOption);
  std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> cbs(rawCallbacks);
  // Window credit goes back only as handlers consume request bodies (Http2Session::pump).
  nghttp2_option_set_no_auto_window_update(option.get(), 1);
  // nghttp2's defaults already bound SETTINGS entries (32), queued ACKs (1000), CONTINUATION
  // frames (8) and the RST_STREAM rate (rapid reset); stated here so they are visible.
  nghttp2_option_set_max_settings(option.get(), 32);
  nghttp2_option_set_max_outbound_ack(option.get(), 1000);
  nghttp2_option_set_max_continuations(option.get(), 8);
  nghttp2_option_set_stream_reset_rate_limit(option.get(), 1000, 33);
  // Closed streams are not kept around as anchors for RFC 7540 priorities (Go keeps no
  // such tree either): less work and memory per stream.
  nghttp2_option_set_no_closed_streams(option.get(), 1);
  // Its frame buffers grow to this only while such a head is out, then shrink back.
  nghttp2_option_set_max_send_header_block_length(option.get(), kMaxSendHeaderBlock);
  // nghttp2's HTTP messaging checks refuse requests Go's server (caddy) serves: two
  // Content-Length fields, an empty :authority or Host, a Content-Length on a request
  // without body or one its DATA does not match (Go answers; the body read fails), a :path
  // with a space or in absolute form, a connection-specific field or TE (Go answers 400).
  // They are off; Go's checks are made instead: H2RequestHead for header blocks,
  // Http2Session::header/frameReceived/dataChunk for trailers and body lengths.
  nghttp2_option_set_no_http_messaging(option.get(), 1);

  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs.get(), &Callbacks::onBeginFrame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs.get(), &Callbacks::onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs.get(), &Callbacks::onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs.get(), &Callbacks::onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs.get(), &Callbacks::onDataChunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs.get(), &Callbacks::onFrameSend);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs.get(), &Callbacks::onFrameNotSend);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs.get(), &Callbacks::onStreamClose);

  nghttp2_session* session = nullptr;
  if (nghttp2_session_server_new3(&session, cbs.get(), &self, option.get(), self.alloc_.mem()) != 0) {
    return nullptr;
  }
  return session;
}

bool Http2Session::Callbacks::announceStreamLimit(std::string& out, size_t at, uint32_t limit) {
  constexpr size_t kFrameHead = 9;
  constexpr size_t kEntry = 6;
  if (out.size() < at + kFrameHead) {
    return false;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(out.data() + at);
  const size_t length = (size_t{p[0]} << 16) | (size_t{p[1]} << 8) | p[2];
  if (p[3] != NGHTTP2_SETTINGS || (p[4] & NGHTTP2_FLAG_ACK) != 0 || out.size() < at + kFrameHead + length) {
    return false;
  }
  for (size_t e = at + kFrameHead; e + kEntry <= at + kFrameHead + length; e += kEntry) {
    const auto* entry = reinterpret_cast<const uint8_t*>(out.data() + e);
    if (((entry[0] << 8) | entry[1]) == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
      for (int i = 0; i < 4; ++i) {
        out[e + 2 + i] = static_cast<char>((limit >> (8 * (3 - i))) & 0xff);
      }
      return true;
    }
  }
  return false;
}

int Http2Session::Callbacks::submitSettings(nghttp2_session* session, const Http2Limits& limits) {
  // Go's server reads frames of up to 1 MiB (its maxReadFrameSize) and announces it: a
  // client may send DATA and header blocks in frames that large, as it may to Caddy.
  constexpr uint32_t kMaxFrameSize = 1 << 20;
  const std::array<nghttp2_settings_entry, 5> settings = {{
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, kMaxFrameSize},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kNoStreamLimit},  // limits.maxConcurrentStreams on the wire
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(limits.streamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, maxHeaderListSize(limits)},
      {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},  // RFC 8441 (WebSockets over HTTP/2)
  }};
  int rv = nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  if (rv != 0) {
    return rv;
  }
  return nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, limits.connectionWindow);
}

ssize_t Http2Session::Callbacks::readBody(nghttp2_session* /*session*/, int32_t id, uint8_t* buf, size_t len,
                                          uint32_t* flags, nghttp2_data_source* /*source*/, void* user) {
  return self(user).readBody(id, buf, len, flags);
}

int Http2Session::Callbacks::onBeginFrame(nghttp2_session* /*session*/, const nghttp2_frame_hd* hd,
                                          void* user) {
  return self(user).frameBegins(*hd);
}

int Http2Session::Callbacks::onBeginHeaders(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                            void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;
  }
  return self(user).beginHeaders(frame->hd.stream_id);
}

int Http2Session::Callbacks::onHeader(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                      const uint8_t* name, size_t namelen, const uint8_t* value,
                                      size_t valuelen, uint8_t /*flags*/, void* user) {
  return self(user).header(*frame, view(name, namelen), view(value, valuelen));
}

int Http2Session::Callbacks::onFrameRecv(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                         void* user) {
  return self(user).frameReceived(*frame);
}

int Http2Session::Callbacks::onDataChunk(nghttp2_session* /*session*/, uint8_t /*flags*/, int32_t id,
                                         const uint8_t* data, size_t len, void* user) {
  return self(user).dataChunk(id, data, len);
}

int Http2Session::Callbacks::onFrameSend(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                         void* user) {
  return self(user).frameSent(*frame);
}

int Http2Session::Callbacks::onFrameNotSend(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                            int error, void* user) {
  return self(user).frameNotSent(*frame, error);
}

int Http2Session::Callbacks::onStreamClose(nghttp2_session* /*session*/, int32_t id, uint32_t errorCode,
                                           void* user) {
  return self(user).streamClosed(id, errorCode);
}

}  // namespace gatehouse::http
