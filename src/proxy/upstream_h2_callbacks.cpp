// The nghttp2 client callbacks of UpstreamH2Session: each finds its stream through the
// stream's user data (cleared when the stream's owner goes) and passes the event on.
#include <nghttp2/nghttp2.h>

#include <memory>

#include "proxy/upstream_h2_session.h"
#include "proxy/upstream_h2_stream.h"

namespace gatehouse::proxy {

struct H2Callbacks {
  static UpstreamH2Session& session(void* user) { return *static_cast<UpstreamH2Session*>(user); }

  static int onHeader(nghttp2_session* /*ng*/, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t /*flags*/, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS) {
      return 0;
    }
    UpstreamH2Stream* s = session(user).streamOf(frame->hd.stream_id);
    if (s == nullptr) {
      return 0;
    }
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    s->headerBytes_ += namelen + valuelen;
    if (s->headerBytes_ > session(user).limits_.maxHeaderBytes) {
      s->failure_ = "response header too large";
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    }
    s->onHeader(n, v);
    return 0;
  }

  static int onFrameRecv(nghttp2_session* /*ng*/, const nghttp2_frame* frame, void* user) {
    UpstreamH2Session& self = session(user);
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        if (UpstreamH2Stream* s = self.streamOf(frame->hd.stream_id)) {
          s->onHeadersDone((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0);
        }
        break;
      case NGHTTP2_DATA:
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
          if (UpstreamH2Stream* s = self.streamOf(frame->hd.stream_id)) {
            s->onEndStream();
          }
        }
        break;
      case NGHTTP2_GOAWAY:
        self.goaway_ = true;  // new requests go to another connection
        break;
      default:
        break;
    }
    return 0;
  }

  static int onDataChunk(nghttp2_session* /*ng*/, uint8_t /*flags*/, int32_t id, const uint8_t* data,
                         size_t len, void* user) {
    if (UpstreamH2Stream* s = session(user).streamOf(id)) {
      s->onData(std::string_view(reinterpret_cast<const char*>(data), len));
    }
    return 0;
  }

  static int onStreamClose(nghttp2_session* /*ng*/, int32_t id, uint32_t errorCode, void* user) {
    if (UpstreamH2Stream* s = session(user).streamOf(id)) {
      s->onClosed(errorCode);
    }
    return 0;
  }

  static ssize_t readBody(nghttp2_session* ng, int32_t id, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source* /*source*/, void* /*user*/) {
    auto* s = static_cast<UpstreamH2Stream*>(nghttp2_session_get_stream_user_data(ng, id));
    if (s == nullptr) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // its owner left: the stream is reset
    }
    return s->readBody(buf, length, flags);
  }
};

nghttp2_data_source_read_callback h2BodyReader() {
  return &H2Callbacks::readBody;
}

nghttp2_session* newClientSession(UpstreamH2Session* self) {
  nghttp2_session_callbacks* rawCbs = nullptr;
  nghttp2_option* rawOpt = nullptr;
  if (nghttp2_session_callbacks_new(&rawCbs) != 0) {
    return nullptr;
  }
  std::unique_ptr<nghttp2_session_callbacks, decltype(&nghttp2_session_callbacks_del)> cbs(
      rawCbs, &nghttp2_session_callbacks_del);
  if (nghttp2_option_new(&rawOpt) != 0) {
    return nullptr;
  }
  std::unique_ptr<nghttp2_option, decltype(&nghttp2_option_del)> opt(rawOpt, &nghttp2_option_del);
  nghttp2_session_callbacks_set_on_header_callback(cbs.get(), &H2Callbacks::onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs.get(), &H2Callbacks::onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs.get(), &H2Callbacks::onDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs.get(), &H2Callbacks::onStreamClose);
  // Windows reopen only as clients take the bytes (UpstreamH2Stream::consumed).
  nghttp2_option_set_no_auto_window_update(opt.get(), 1);
  nghttp2_option_set_peer_max_concurrent_streams(opt.get(), 100);
  nghttp2_session* ng = nullptr;
  if (nghttp2_session_client_new2(&ng, cbs.get(), self, opt.get()) != 0) {
    return nullptr;
  }
  return ng;
}

}  // namespace gatehouse::proxy
