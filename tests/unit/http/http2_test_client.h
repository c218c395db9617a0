#pragma once
// Test harness for Http2Session: an in-memory transport, a real nghttp2 client session
// producing and parsing frames, and a libuv loop for deferred work. Every exchange loop
// is bounded in rounds.

#include <nghttp2/nghttp2.h>
#include <uv.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/session.h"

namespace gatehouse::testing {

class MemoryTransport final : public http::Transport {
 public:
  explicit MemoryTransport(uv_loop_t* loop) : loop_(loop) {}
  std::string out;
  bool closed = false;
  bool reading = true;
  Phase phase = Phase::ReadingHeaders;
  void write(std::string& bytes) override {
    out += bytes;
    bytes.clear();
  }
  void close(bool /*abort*/) override { closed = true; }
  void shutdownWrite() override {}
  void pauseReading() override { reading = false; }
  void resumeReading() override { reading = true; }
  void setPhase(Phase p) override { phase = p; }
  [[nodiscard]] bool drained() const override { return isDrained; }
  bool isDrained = true;  // tests play a socket that does not take more
  uv_loop_t* loop() override { return loop_; }
  runtime::WorkerState& worker() override { return state_; }

 private:
  uv_loop_t* loop_;
  runtime::WorkerState state_{loop_};
};

// What the client saw of one stream.
struct ClientStream {
  std::map<std::string, std::string> headers;  // response fields (":status" too)
  std::vector<std::string> statuses;           // every :status, interim ones first
  std::string body;
  bool closed = false;
  uint32_t errorCode = 0;  // RST_STREAM code, 0 when closed normally
  bool gotRst = false;
  bool headersEndedStream = false;
};

class H2Client;
namespace h2detail {
inline H2Client& client(void* user);
}

class H2Client {
 public:
  // `initialWindow`: the stream window the client grants the server (SETTINGS).
  explicit H2Client(uint32_t initialWindow = 65535);
  ~H2Client();
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  // Submits a request; `body` (optional) is sent as DATA with flow control.
  int32_t request(const std::string& method, const std::string& path,
                  const std::vector<std::pair<std::string, std::string>>& extra = {},
                  const std::string* body = nullptr, bool endStream = true);
  void sendData(int32_t id, std::string bytes, bool endStream);
  void reset(int32_t id, uint32_t code);
  std::string takeOutput();
  void feed(const std::string& bytes);

  nghttp2_session* session() { return session_; }
  std::map<int32_t, ClientStream> streams;
  bool gotGoaway = false;
  int32_t goawayLastStream = -1;
  uint32_t goawayError = 0;
  int feedError = 0;

 private:
  struct Upload {
    std::string data;
    size_t offset = 0;
    bool endStream = true;
  };
  static ssize_t readUpload(nghttp2_session* s, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                            nghttp2_data_source* src, void* user);
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Upload> uploads_;
};

namespace h2detail {
inline H2Client& client(void* user) {
  return *static_cast<H2Client*>(user);
}

inline nghttp2_nv field(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}
}  // namespace h2detail

inline H2Client::H2Client(uint32_t initialWindow) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl, const uint8_t* v,
              size_t vl, uint8_t, void* user) {
        auto& st = h2detail::client(user).streams[f->hd.stream_id];
        std::string name(reinterpret_cast<const char*>(n), nl);
        std::string value(reinterpret_cast<const char*>(v), vl);
        if (name == ":status") {
          st.statuses.push_back(value);
        }
        st.headers[name] = value;
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cbs, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t l, void* user) {
        h2detail::client(user).streams[id].body.append(reinterpret_cast<const char*>(d), l);
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* f, void* user) {
        auto& c = h2detail::client(user);
        if (f->hd.type == NGHTTP2_GOAWAY) {
          c.gotGoaway = true;
          c.goawayLastStream = f->goaway.last_stream_id;
          c.goawayError = f->goaway.error_code;
        } else if (f->hd.type == NGHTTP2_RST_STREAM) {
          c.streams[f->hd.stream_id].gotRst = true;
        } else if (f->hd.type == NGHTTP2_HEADERS && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
          c.streams[f->hd.stream_id].headersEndedStream = true;
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cbs, [](nghttp2_session*, int32_t id, uint32_t code, void* user) {
        auto& st = h2detail::client(user).streams[id];
        st.closed = true;
        st.errorCode = code;
        return 0;
      });
  nghttp2_session_client_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  const nghttp2_settings_entry window{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, initialWindow};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, &window, 1);
}

inline H2Client::~H2Client() {
  nghttp2_session_del(session_);
}

inline ssize_t H2Client::readUpload(nghttp2_session*, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                                    nghttp2_data_source*, void* user) {
  auto& up = h2detail::client(user).uploads_[id];
  const size_t n = std::min(len, up.data.size() - up.offset);
  std::memcpy(buf, up.data.data() + up.offset, n);
  up.offset += n;
  if (up.offset == up.data.size()) {
    if (up.endStream) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

inline int32_t H2Client::request(const std::string& method, const std::string& path,
                                 const std::vector<std::pair<std::string, std::string>>& extra,
                                 const std::string* body, bool endStream) {
  const std::string m = ":method", s = ":scheme", a = ":authority", p = ":path", http = "http",
                    host = "h2.test";
  std::vector<nghttp2_nv> nv = {h2detail::field(m, method), h2detail::field(s, http),
                                h2detail::field(a, host), h2detail::field(p, path)};
  for (const auto& [n, v] : extra) {
    nv.push_back(h2detail::field(n, v));
  }
  nghttp2_data_provider provider{};
  provider.read_callback = &H2Client::readUpload;
  const bool withBody = body != nullptr || !endStream;
  const int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                            withBody ? &provider : nullptr, nullptr);
  if (withBody) {
    uploads_[id] = Upload{body ? *body : std::string(), 0, endStream};
  }
  return id;
}

inline void H2Client::sendData(int32_t id, std::string bytes, bool endStream) {
  auto& up = uploads_[id];
  up.data.append(bytes);
  up.endStream = endStream;
  nghttp2_session_resume_data(session_, id);
}

inline void H2Client::reset(int32_t id, uint32_t code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
}

inline std::string H2Client::takeOutput() {
  std::string out;
  for (int i = 0; i < 10000; ++i) {
    const uint8_t* p = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &p);
    if (n <= 0) {
      break;
    }
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  }
  return out;
}

inline void H2Client::feed(const std::string& bytes) {
  ssize_t rv =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) {
    feedError = static_cast<int>(rv);
  }
}

}  // namespace gatehouse::testing
