// Http2Session: frames judged against Go's stream states (caddy 2.6.2's x/net server) where
// nghttp2 judges them otherwise. Go's framer refuses some header blocks outright (a bad
// field, an unknown or misplaced pseudo-header field): it resets the stream but never opens
// it, so its maxClientStreamID stays below it and the stream is idle there. Any other head,
// served or reset, opens its stream. From that:
// - DATA, WINDOW_UPDATE or RST_STREAM on an idle stream is a connection error (GOAWAY
//   PROTOCOL_ERROR), as is a HEADERS frame on a closed one; nghttp2 saw the refused stream
//   open, and ignores HEADERS on closed streams;
// - DATA on a closed (or reset) stream gets RST_STREAM STREAM_CLOSED; nghttp2 drops it;
// - a second header block on a stream Go never opened is a new head there: a trailer block
//   without pseudo-header fields is reset again;
// - a stream made to depend on itself (H2InboundFilter) is reset, the connection kept.
#include <algorithm>
#include <string>
#include <utility>

#include "http/http2_session.h"

namespace gatehouse::http {

namespace {
constexpr size_t kFrameHead = 9;
constexpr size_t kGoawayPayload = 8;

void putBe32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((v >> shift) & 0xff);
  }
}
}  // namespace

int Http2Session::frameBegins(const nghttp2_frame_hd& hd) {
  const int32_t id = hd.stream_id;
  if (nghttp2Ended_ || nghttp2_session_want_read(session_.get()) == 0) {
    return 0;  // nghttp2 already ended the connection: its GOAWAY stands
  }
  if (blockOpen_ != 0 && hd.type != NGHTTP2_CONTINUATION) {
    // The last header block never completed: nghttp2 refused its HPACK (a COMPRESSION_ERROR
    // GOAWAY is queued) and reads on; or it skipped the block. Judged no further either way.
    nghttp2Ended_ = true;
    return 0;
  }
  if (hd.type == NGHTTP2_SETTINGS && (hd.flags & NGHTTP2_FLAG_ACK) == 0 && id == 0) {
    auto& verdicts = found_.settingsVerdicts;
    if (settingsJudged_ < verdicts.size()) {
      const uint32_t code = verdicts[settingsJudged_++];
      if (code != 0) {
        return goConnectionError(code);  // Go's code where nghttp2's differs (an initial window too large)
      }
    }
    return 0;
  }
  if (id <= 0 || id % 2 == 0) {
    return 0;  // the connection's frames; streams we promised are nghttp2's to judge
  }
  const bool live = find(id) != nullptr || findLink(id) != nullptr;
  switch (hd.type) {
    case NGHTTP2_DATA:
    case NGHTTP2_WINDOW_UPDATE:
    case NGHTTP2_RST_STREAM:
      if (id > goMaxStream_) {
        return goConnectionError(NGHTTP2_PROTOCOL_ERROR);  // RFC 9113 5.1: idle
      }
      if (hd.type == NGHTTP2_DATA) {
        dataJudged_.push_back(id);
        H2Stream* s = find(id);
        // Reset by a rule of Go's (not one only Gatehouse has: Go serves those heads).
        const bool goReset = s != nullptr && !s->head.invalid() &&
                             (s->resetSubmitted || (s->phase == H2Stream::Phase::Head && !s->headMapped));
        if (goReset && s->inbound.framesAfterReset++ > 0) {
          // Go's reset of this stream is queued at the first DATA frame behind it (no answer);
          // by the next one its writer has sent it, and the stream is closed: STREAM_CLOSED.
          rawReset(id, NGHTTP2_STREAM_CLOSED);
        }
      }
      return 0;
    case NGHTTP2_HEADERS:
      if (id <= goMaxStream_ && !live) {
        return goConnectionError(NGHTTP2_PROTOCOL_ERROR);  // a closed stream's, or a lower new one
      }
      if (id > goMaxStream_ && !live && id <= nghttp2_session_get_last_proc_stream_id(session_.get())) {
        // A stream Go's framer refused, already closed here (nghttp2 skips the block): Go reads
        // a new head, one that lacks :method when a client sends it as trailers.
        nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
        goMaxStream_ = id;
        return 0;
      }
      blockOpen_ = id;  // until frameReceived
      return 0;
    default:
      return 0;
  }
}

int Http2Session::goConnectionError(uint32_t code) {
  goAwayCode_ = code;
  goAwayPending_ = true;
  return NGHTTP2_ERR_CALLBACK_FAILURE;  // nghttp2 stops reading here
}

void Http2Session::goAway() {
  // Go's serve loop writes nothing it queued once it has sent a GOAWAY with an error code
  // (answers to this read, resets included, stay unsent), then closes. Its last stream is
  // its maxClientStreamID, with no debug data; nghttp2's GOAWAY would count the streams
  // Go's framer refused and carry nghttp2's text.
  toDispatch_.clear();
  found_.zeroWindowUpdates.clear();
  found_.selfDependencies.clear();
  found_.dataFrames.clear();
  dataJudged_.clear();
  found_.settingsVerdicts.clear();
  std::string frame;
  frame.reserve(kFrameHead + kGoawayPayload);
  frame += '\0';
  frame += '\0';
  frame += static_cast<char>(kGoawayPayload);
  frame += static_cast<char>(NGHTTP2_GOAWAY);
  frame += '\0';
  putBe32(frame, 0);
  putBe32(frame, static_cast<uint32_t>(goMaxStream_));
  putBe32(frame, goAwayCode_);
  transport_.write(frame);
  fail();
}

bool Http2Session::judgeDataFrames() {
  // Go answers a DATA frame on a stream it closed with RST_STREAM STREAM_CLOSED; nghttp2
  // drops the ones on streams it closed without a callback (frameBegins never saw them):
  // those resets go out raw, after the frames nghttp2 writes next. False: one was on a
  // stream idle for Go (a connection error).
  if (nghttp2Ended_ || nghttp2_session_want_read(session_.get()) == 0) {
    found_.dataFrames.clear();  // nghttp2 ended the connection itself: its GOAWAY stands
    dataJudged_.clear();
    found_.settingsVerdicts.clear();
    settingsJudged_ = 0;
    return true;
  }
  size_t judged = 0;
  bool ok = true;
  for (const int32_t id : found_.dataFrames) {
    if (judged < dataJudged_.size() && dataJudged_[judged] == id) {
      ++judged;
      continue;
    }
    if (id > goMaxStream_) {
      ok = false;  // a stream Go's framer refused, which nghttp2 closed in an earlier read
      break;
    }
    // Dropped by nghttp2: closed, or closing with our reset still queued (Go sends nothing
    // more while its reset is queued).
    if (find(id) == nullptr && findLink(id) == nullptr) {
      rawReset(id, NGHTTP2_STREAM_CLOSED);
    }
  }
  found_.dataFrames.clear();
  dataJudged_.clear();
  found_.settingsVerdicts.clear();
  settingsJudged_ = 0;
  if (!ok) {
    goConnectionError(NGHTTP2_PROTOCOL_ERROR);
  }
  return ok;
}

void Http2Session::rawReset(int32_t id, uint32_t code) {
  rawFrames_ += '\0';
  rawFrames_ += '\0';
  rawFrames_ += '\4';
  rawFrames_ += static_cast<char>(NGHTTP2_RST_STREAM);
  rawFrames_ += '\0';
  putBe32(rawFrames_, static_cast<uint32_t>(id));
  putBe32(rawFrames_, code);
}

void Http2Session::openedForGo(const nghttp2_frame& frame, const H2Stream* s) {
  // Go opens the stream of every head its framer took, the ones it then resets too (or
  // refuses over the stream limit, where no H2Stream was made).
  if (s == nullptr || !s->head.framerRefused()) {
    goMaxStream_ = std::max(goMaxStream_, frame.hd.stream_id);
  }
}

bool Http2Session::headersOnRefusedHead(H2Stream& s) {
  if (!s.head.framerRefused()) {
    return false;
  }
  // Go never opened the stream: this block is a new head to it. Without pseudo-header
  // fields (trailers) it lacks :method, another reset; a whole head would be served, but
  // the reset already queued for the stream ends it.
  if (!s.inbound.trailerPseudo) {
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, s.id, NGHTTP2_PROTOCOL_ERROR);
  }
  if (!s.inbound.badTrailer) {
    goMaxStream_ = std::max(goMaxStream_, s.id);  // its framer took this one
  }
  return true;
}

void Http2Session::resetSelfDependent() {
  auto& ids = found_.selfDependencies;
  if (ids.empty()) {
    return;
  }
  auto keep = std::remove_if(ids.begin(), ids.end(), [&](int32_t id) {
    H2Stream* s = find(id);
    if (s == nullptr) {
      // Closed, or idle: Go resets it all the same (nghttp2 would send none for a stream it
      // never saw, nor a second one).
      rawReset(id, NGHTTP2_PROTOCOL_ERROR);
      return true;
    }
    const bool headComplete = s->phase != H2Stream::Phase::Head ||
                              std::find(toDispatch_.begin(), toDispatch_.end(), id) != toDispatch_.end();
    if (!headComplete) {
      return false;  // its header block goes on in the next read
    }
    refuse(*s);  // never dispatched when its head came in this read, as Go checks before the handler
    return true;
  });
  ids.erase(keep, ids.end());
}

}  // namespace gatehouse::http
