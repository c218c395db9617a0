#include "http/h2_stream.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "http/content_type.h"
#include "http/go_body_buffer.h"
#include "http/http2_session.h"
#include "http/output_stages.h"

namespace gatehouse::http {

H2Stream::H2Stream(Http2Session& session, int32_t streamId, size_t maxHeaderListBytes)
    : id(streamId), head(maxHeaderListBytes), session_(session) {}

void H2Stream::recycle() {
  // Large buffers are not kept for the next request.
  constexpr size_t kMaxKeptBytes = 64 * 1024;
  ex.clear();  // drops ex.pending first, as the destructor would
  ex.host = nullptr;
  if (ex.response.body.capacity() > kMaxKeptBytes) {
    std::string().swap(ex.response.body);
  }
  head.clear();
  phase = Phase::Head;
  dispatched = false;
  closed = false;
  wantsPull = false;
  bodyless = false;
  deliveryQueued = false;
  continueSent = false;
  pushed = false;
  resetSubmitted = false;
  headMapped = false;
  writeDeadline = 0;
  inbound = Inbound{};
  outbound = Outbound{};
}

ssize_t H2Stream::readBody(uint8_t* buf, size_t len, uint32_t* flags) {
  auto& out = outbound;
  const std::string& src = out.mode == BodyMode::Buffered ? ex.response.body : out.data;
  if (out.error && out.offset == src.size()) {
    // The source failed; the bytes it gave before went out first (as Go's server flushes
    // them). nghttp2 answers RST_STREAM(INTERNAL_ERROR).
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  const size_t end = src.size() - out.held;  // held: only ever in `data` (Streamed)
  const size_t n = std::min(len, end - out.offset);
  if (n > 0) {
    std::memcpy(buf, src.data() + out.offset, n);
  }
  out.offset += n;
  ex.response.bytesWritten += n;
  if (out.offset < end) {
    return static_cast<ssize_t>(n);
  }
  if (out.held != 0 && out.eof) {
    // Go's final flush at the handler's end: what its buffer held is the last DATA frame.
    out.held = 0;
    return n > 0 ? static_cast<ssize_t>(n) : readBody(buf, len, flags);
  }
  if (out.mode != BodyMode::Buffered) {
    if (out.held == 0) {
      out.data.clear();  // keeps its capacity for the next piece
    } else {
      out.data.erase(0, out.offset);  // the held tail (under 4096 bytes) waits for more
    }
    out.offset = 0;
  }
  if (out.mode == BodyMode::Streamed && out.eof && !lengthKept()) {
    // A source that ended off its announced content-length: a reset, as for a source
    // error, so the client never takes the body for complete.
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  if (out.mode == BodyMode::Buffered || out.eof) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (out.mode == BodyMode::Streamed && session_.submitTrailers(*this)) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;  // the trailing HEADERS ends the stream
    }
    return static_cast<ssize_t>(n);
  }
  if (out.mode == BodyMode::Streamed && !out.pullInFlight) {
    wantsPull = true;
  }
  if (out.mode == BodyMode::Tunnel && n > 0) {
    out.drainNotify = true;
  }
  return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};
}

bool H2Stream::lengthKept() const {
  const uint64_t announced = ex.response.streamLength;
  return announced == runtime::Response::kUnknownLength || ex.response.bytesWritten == announced;
}

uv_loop_t* H2Stream::loop() {
  return session_.loop();
}

runtime::WorkerState& H2Stream::worker() {
  return session_.worker();
}

RequestHandler& H2Stream::requestHandler() const {
  return session_.requestHandler();
}

void H2Stream::sendInformational(int status, const runtime::HeaderList& fields) {
  session_.streamInformational(*this, status, fields);
}

void H2Stream::resume() {
  session_.streamResumed(*this);
}

void H2Stream::tunnelWrite(std::string_view data) {
  if (closed || phase != Phase::Tunnel || outbound.eof) {
    return;
  }
  outbound.data.append(data);
  session_.streamOutboundReady(*this);
}

void H2Stream::tunnelShutdownWrite() {
  if (closed || phase != Phase::Tunnel) {
    return;
  }
  outbound.eof = true;
  session_.streamOutboundReady(*this);
}

void H2Stream::tunnelResumeReading() {
  inbound.tunnelReading = true;
  session_.streamWantsInbound(*this);
}

void H2Stream::tunnelClose() {
  session_.streamTunnelClose(*this);
}

bool H2Stream::handOverTunnel(const TunnelRelayMaker& make) {
  return session_.streamHandOver(*this, make);
}

bool H2Stream::push(std::string_view method, std::string_view target, const runtime::HeaderList& headers) {
  return session_.streamPush(*this, method, target, headers);
}

void H2Stream::onBodyData(std::string_view data, bool eof) {
  outbound.pullInFlight = false;
  if (closed) {
    return;
  }
  // Copied now: `data` dies with this call. The source itself stays alive until the
  // stream does, so it is never destroyed from inside its own callback.
  outbound.data.append(data);
  if (outbound.sniffPending) {
    runWaitingStages(ex, std::exchange(outbound.stagesWaiting, 0));
    const size_t held = outbound.data.size();
    const bool buffered = goBuffersStream(ex.response) && held <= kGoHttp2BodyBuffer;
    if (sniffNeedsMore(ex.response, held, eof) || (buffered && !eof)) {
      // Too few bytes to sniff on yet (a short first read, an empty one), or a body Go's
      // 4096-byte response buffer still holds (nothing flushes it: FastCGI's): as Go's
      // server, they wait (no head, so no provider reads them) and the next piece is read.
      session_.streamWantsPiece(*this);
      return;
    }
    if (buffered) {
      ex.response.streamLength = held;  // ended within Go's buffer: a content-length
    } else if (goBuffersStream(ex.response)) {
      // Past the buffer: it filled and went out; what follows waits in it the same way.
      outbound.held = goBufferHeldAfter(held - data.size(), data.size(), kGoHttp2BodyBuffer);
    }
    sendSniffedHead();
  } else if (outbound.held != 0 || goBuffersStream(ex.response)) {
    // Nothing flushes this body (FastCGI's): it leaves in Go's 4096-byte pieces; at the end
    // what the buffer holds goes in a frame of its own, with END_STREAM (readBody).
    outbound.held = goBufferHeldAfter(outbound.held, data.size(), kGoHttp2BodyBuffer);
  }
  outbound.eof = eof;
  session_.streamOutboundReady(*this);
}

void H2Stream::sendSniffedHead() {
  outbound.sniffPending = false;
  if (!outbound.data.empty() && wantsSniffedType(ex.response, true)) {
    ex.response.headers.add("Content-Type", sniffContentType(outbound.data));
  }
  session_.streamSniffed(*this);
}

void H2Stream::onBodyError(int /*uvError*/) {
  outbound.pullInFlight = false;
  if (closed) {
    return;
  }
  if (outbound.sniffPending) {
    // The head still waited for bytes to sniff a Content-Type from: as Go's final flush
    // of its response buffer, head and the bytes held so far go out before the reset.
    runWaitingStages(ex, std::exchange(outbound.stagesWaiting, 0));
    sendSniffedHead();
  }
  outbound.held = 0;      // what Go's buffer held goes out before the reset too
  outbound.error = true;  // readBody resets the stream once the bytes before it left
  session_.streamOutboundReady(*this);
}

void H2Stream::RequestBody::pull(uv_loop_t* /*loop*/, runtime::BodySink& sink) {
  stream_.inbound.sink = &sink;
  stream_.session_.streamWantsInbound(stream_);
}

}  // namespace gatehouse::http
