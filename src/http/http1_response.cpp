// Response output of an HTTP/1.1 session: the head (framing decided here), a buffered body,
// or a streamed one pulled piece by piece (sendfile for files on cleartext connections).
#include <algorithm>
#include <cstring>
#include <ctime>

#include "gatehouse/runtime/sendfile_source.h"
#include "gatehouse/runtime/trailer_source.h"
#include "http/content_type.h"
#include "http/field_syntax.h"
#include "http/go_body_buffer.h"
#include "http/go_field_order.h"
#include "http/h2_response_head.h"
#include "http/http1_session.h"
#include "http/number_text.h"
#include "http/output_stages.h"
#include "http/status.h"

namespace gatehouse::http {

using runtime::equalsIgnoreCase;

namespace {
bool bodyAllowed(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

// The response fields writeHead treats specially, told apart by length first (one compare
// for most fields instead of one call per name).
enum class Special { None, Framing, ContentLength, ContentType, Date };

// Names mostly come canonical (a proxied upstream's are recased on the way in): one
// fixed-size compare before the byte loop.
bool named(std::string_view name, std::string_view canonical) {
  return name == canonical || equalsIgnoreCase(name, canonical);
}

Special specialField(std::string_view name) {
  switch (name.size()) {
    case 4:
      return named(name, "Date") ? Special::Date : Special::None;
    case 10:
      return named(name, "Connection") ? Special::Framing : Special::None;
    case 12:
      return named(name, "Content-Type") ? Special::ContentType : Special::None;
    case 14:
      return named(name, "Content-Length") ? Special::ContentLength : Special::None;
    case 17:
      return named(name, "Transfer-Encoding") ? Special::Framing : Special::None;
    default:
      return Special::None;
  }
}

// Go's textproto.TrimString, which Go's Header.Write applies to every value it writes: a
// value built from placeholders ("{a} {b}" with b empty) loses its edge whitespace.
std::string_view trimFieldValue(std::string_view v) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!v.empty() && space(v.front())) {
    v.remove_prefix(1);
  }
  while (!v.empty() && space(v.back())) {
    v.remove_suffix(1);
  }
  return v;
}

// Go's hasToken(value, "close"): a comma-separated list naming "close" in any case.
bool namesClose(std::string_view value) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (equalsIgnoreCase(trimFieldValue(value.substr(0, comma)), "close")) {
      return true;
    }
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return false;
}

// "Name: value\r\n" with one size check and two copies instead of four appends (each
// checks the capacity and calls memcpy on its own): this runs for every response field.
// As Go's Header.Write (headerNewlineToSpace), a CR or LF inside the value goes out as a
// space: a Caddyfile string written over several lines stays one field line, and no value
// can end the line and start a field (or the body) of its own.
void appendField(std::string& out, std::string_view name, std::string_view value) {
  const size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  if (std::memchr(p, '\n', value.size()) != nullptr || std::memchr(p, '\r', value.size()) != nullptr) {
    std::replace_if(
        p, p + value.size(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  }
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

}  // namespace

void Http1Session::onDrained() {
  if (tunnel_) {
    if (tunnelDrainWanted_ && !closed_) {
      tunnelDrainWanted_ = false;
      ex_.response.tunnel->onClientDrained();
    }
    return;
  }
  if (streaming_ && !pullInFlight_ && !closed_) {
    pullBody();
  }
}

// The next piece of a streamed response body: straight from the file into the socket when
// the transport allows it (cleartext, nothing queued), else through the source's pull().
// Either way the outcome reaches the session later, never from inside this call.
void Http1Session::pullBody() {
  pullInFlight_ = true;
  auto& stream = *ex_.response.stream;
  auto* file = dynamic_cast<runtime::SendfileSource*>(&stream);
  const int sock =
      file == nullptr || chunked_ || sniffPending_ || lengthCap_ != kNoLengthCap || !transport_.drained()
          ? -1
          : transport_.sendfileSocket();
  if (sock >= 0) {
    bool done = false;
    const int64_t n = file->sendTo(sock, done);
    if (n > 0) {
      ex_.response.bytesWritten += static_cast<uint64_t>(n);
    }
    if (done || (n < 0 && n != UV_EBUSY)) {
      sendfileOutcome_ = done ? 1 : static_cast<int>(n);
      tasks_.schedule(transport_.loop());
      return;
    }
  }
  stream.pull(transport_.loop(), *this);
}

int Http1Session::beginResponse() {
  auto& res = ex_.response;
  if (res.abort) {
    // As Go's server after ErrAbortHandler: the connection ends without a response, with a
    // FIN (close_notify on TLS). Lingering drains a request body still arriving, so the
    // client sees the close and not a reset caused by its unread bytes.
    closed_ = true;
    body_.detach();
    transport_.close(false);
    return -1;
  }
  if (res.status == 0) {
    res.status = 200;  // a chain that answered nothing: Caddy's empty 200
  } else {
    // Metrics' time to the head; left unset, it tells the access log nobody answered.
    res.headAt = std::chrono::steady_clock::now();
  }
  if (res.status < 200 && res.tunnel == nullptr) {
    // A handler's 1xx (`respond "..." 100`, `error 103`): Go writes it as an interim head
    // and the final answer is a 200 (the head caddy 2.6.2's Go sends for a 101 too).
    appendInterimHead(res.status, {});
    res.status = 200;
  }
  // Innermost first: a stage installed later wraps the response closer to the handler that
  // produced it (Caddy's nested ResponseWriters), so `header` deferred ops see encode's fields.
  stagesWaiting_ = runOutputStages(ex_);
  if (res.status == 101 && res.tunnel != nullptr && upgradeRequest_) {
    enterTunnel();
    return 0;
  }
  res.tunnel = nullptr;
  // (A handler's "Connection: close" ends the connection too, as in Go.)
  if (!keepAlive_ || res.close || shuttingDown_ || (body_.failed() && !body_.limitUnseen()) ||
      res.headers.get("Connection") == "close") {
    closing_ = true;
  }
  if (!requestDone_ && !body_.pulled() && ex_.request.bodyLength != runtime::Request::kChunked &&
      parser_.content_length > kDiscardLimit) {
    closing_ = true;  // as Go: too much unread body to drain; say so in the head
  }
  if (expectsContinue_ && !body_.eofDelivered()) {
    closing_ = true;  // as Go: the client may send its body after a timer, or not at all
  }
  const bool allowed = bodyAllowed(res.status);
  if (stagesWaiting_ != 0 && !(res.stream && allowed && !headOnly_)) {
    runWaitingStages(ex_, stagesWaiting_);  // no body piece comes to decide on
    stagesWaiting_ = 0;
  }
  // As Go's server: a body without a Content-Type field gets one sniffed from its first
  // bytes; a streamed body's head waits for them.
  const bool sniff = wantsSniffedType(res, allowed);
  if (res.stream && allowed && !headOnly_) {
    streaming_ = true;
    if (sniff || res.headWaits || http::goBuffersStream(res)) {
      sniffPending_ = true;
      pullBody();
      return 0;
    }
    writeHead(res.streamLength, true);
    flush();
    pullBody();
    return 0;
  }
  if (sniff && !res.stream && !res.body.empty()) {
    res.headers.add("Content-Type", sniffContentType(res.body));
    sniffedType_ = true;
  }
  const bool unframed = http::goSendsWithoutLength(res, http::kGoHttp1BodyBuffer);
  const uint64_t length =
      res.stream ? res.streamLength : (unframed ? runtime::Response::kUnknownLength : res.body.size());
  res.stream.reset();
  writeHead(length, allowed);
  if (lengthCap_ != kNoLengthCap) {
    closing_ = true;  // a body shorter than its Content-Length (or cut whole when longer)
  }
  if (allowed && !headOnly_) {
    const std::string_view body = overflowsLength(res.body.size()) ? std::string_view() : res.body;
    if (chunked_) {
      if (!body.empty()) {
        http::appendHex(out_, body.size());
        out_.append("\r\n").append(body).append("\r\n");
      }
      out_.append("0\r\n\r\n");
    } else {
      out_.append(body);
    }
    res.bytesWritten = body.size();
  } else if (allowed) {
    // Go's writer takes a HEAD answer's body and drops it: Caddy's recorder (access log
    // `size`, metrics) counts it as written all the same, unless it overflows the
    // handler's Content-Length (then Go refuses it whole).
    const auto declared = declaredContentLength(res.headers);
    res.bytesWritten = declared && *declared < res.body.size() ? 0 : res.body.size();
  }
  responseDone_ = true;
  return 0;
}

// What Go's server decides from a handler's Content-Length and Transfer-Encoding fields
// (chunkWriter.writeHeader), before any field is written.
struct Http1Session::HeadFraming {
  bool dropLength = false;   // the handler's Content-Length fields stay out
  bool dropEncoding = true;  // the handler's Transfer-Encoding fields stay out
  bool autoLength = false;   // Content-Length: contentLength goes with Go's own fields
  bool hasDate = false;
};

Http1Session::HeadFraming Http1Session::decideFraming(uint64_t contentLength, bool allowed) {
  HeadFraming fr;
  const std::string* length = nullptr;
  const std::string* encoding = nullptr;
  headOrder_.clear();
  for (const auto& f : ex_.response.headers) {
    const Special special = specialField(f.name);
    if (special == Special::ContentLength && length == nullptr) {
      length = &f.value;
    } else if (special == Special::Framing && f.name.size() == 17 && encoding == nullptr) {
      encoding = &f.value;
    } else if (special == Special::Date) {
      fr.hasDate = true;
    }
    headOrder_.push_back(OrderedField{&f, static_cast<uint8_t>(special)});
  }
  const std::string_view te = encoding == nullptr ? std::string_view() : trimFieldValue(*encoding);
  uint64_t declared = 0;
  bool hasLength = length != nullptr && parseContentLength(trimFieldValue(*length), declared);
  // Go drops an invalid Content-Length (and so does HTTP/2 here); 2.6.2 still wrote it on a
  // HEAD or HTTP/1.0 answer, which no client can read: dropped there too.
  fr.dropLength = length != nullptr && !hasLength;
  // Go's writer holds the body to a valid length even where a Transfer-Encoding wins the
  // framing over it (the field is dropped, the check stays).
  lengthCap_ = hasLength && allowed && !headOnly_ && declared != contentLength ? declared : kNoLengthCap;
  if (hasLength && !te.empty() && te != "identity") {
    hasLength = false;
    fr.dropLength = true;
  }
  chunked_ = false;
  const bool http10 = ex_.request.versionMajor == 1 && ex_.request.versionMinor == 0;
  if (!allowed) {
    fr.dropLength = true;
  } else if (hasLength) {
    // the handler's field is the framing
  } else if (te.empty() && length == nullptr && contentLength != runtime::Response::kUnknownLength) {
    // (An invalid Content-Length still stops Go from adding its own: the body goes chunked.)
    // (Go sends no Content-Length for a HEAD response whose handler wrote nothing.)
    fr.autoLength = !(headOnly_ && contentLength == 0);
  } else if (headOnly_) {
    // Go writes no framing fields for a HEAD response of unknown length (or a handler's
    // Transfer-Encoding).
  } else if (http10 || te == "identity") {
    closing_ = true;  // the end of the body is the end of the connection
  } else {
    chunked_ = true;
    fr.dropEncoding = te.empty() || te == "chunked";  // else Go sends the handler's too
  }
  return fr;
}

// The handler's fields in Go's order, less those Go leaves out.
void Http1Session::writeFields(const HeadFraming& fr, const runtime::HeaderField* sniffed,
                               bool& connectionSent) {
  auto& res = ex_.response;
  const bool switching = res.status == 101 && res.tunnel != nullptr;
  sortFieldsGoOrder(headOrder_);
  for (const OrderedField& entry : headOrder_) {
    const runtime::HeaderField* f = entry.field;
    switch (static_cast<Special>(entry.tag)) {
      case Special::Framing:
        if (f->name.size() == 17) {
          if (switching || fr.dropEncoding) {
            continue;
          }
          break;
        }
        // A handler's own Connection field goes out as it is unless the connection closes
        // (then "close" is ours to write), as in Go. A proxied 101 keeps the upstream's
        // Connection fields as they came (caddy 2.6.2 writes the upstream's head).
        if (!switching && closing_ && !namesClose(f->value)) {
          continue;
        }
        connectionSent = true;
        break;
      case Special::ContentLength:
        if (fr.dropLength) {
          continue;
        }
        break;
      case Special::ContentType:
        if (res.status == 304 || f == sniffed) {
          continue;  // as Go's net/http: a 304 describes no body, so no type either (a
                     // sniffed type goes with Go's own fields)
        }
        break;
      case Special::Date:
      case Special::None:
        break;
    }
    appendField(out_, f->name, trimFieldValue(f->value));
  }
}

void Http1Session::writeHead(uint64_t contentLength, bool allowed) {
  auto& res = ex_.response;
  headWritten_ = true;
  // As Go: the status line names the version the client spoke (1.0 or 1.1).
  const bool http10 = ex_.request.versionMajor == 1 && ex_.request.versionMinor == 0;
  out_.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  http::appendDecimal(out_, static_cast<uint64_t>(res.status));
  out_ += ' ';
  std::string_view reason = reasonPhrase(res.status);
  if (reason.empty()) {
    out_.append("status code ");
    http::appendDecimal(out_, static_cast<uint64_t>(res.status));
  } else {
    out_.append(reason);
  }
  out_.append("\r\n");
  const HeadFraming fr = decideFraming(contentLength, allowed);
  // A sniffed type was added last (it is logged with the handler's fields).
  const runtime::HeaderField* sniffed = sniffedType_ ? &*(res.headers.end() - 1) : nullptr;
  sniffedType_ = false;
  bool connectionSent = false;
  writeFields(fr, sniffed, connectionSent);
  // Go's own fields follow the handler's, in its order: Date, Content-Length, Content-Type,
  // Connection, Transfer-Encoding.
  if (!fr.hasDate) {
    out_.append("Date: ").append(dates_.get(std::time(nullptr))).append("\r\n");
  }
  if (res.status == 101 && res.tunnel != nullptr) {
    out_.append(connectionSent ? "\r\n" : "Connection: Upgrade\r\n\r\n");
    return;
  }
  if (fr.autoLength) {
    out_.append("Content-Length: ");
    http::appendDecimal(out_, contentLength);
    out_.append("\r\n");
  }
  if (sniffed != nullptr && res.status != 304) {
    appendField(out_, sniffed->name, sniffed->value);
  }
  if (closing_ && !connectionSent) {
    if (!http10) {
      out_.append("Connection: close\r\n");  // (an HTTP/1.0 answer closes by default: Go says nothing)
    }
  } else if (http10 && !connectionSent) {
    out_.append("Connection: keep-alive\r\n");
  }
  if (chunked_) {
    out_.append("Transfer-Encoding: chunked\r\n");
  }
  out_.append("\r\n");
}

// Go's response.Write: a piece that would take the body past the handler's Content-Length
// fails whole (nothing of it is written) and the connection ends after the answer.
bool Http1Session::overflowsLength(size_t piece) {
  if (lengthCap_ == kNoLengthCap || ex_.response.bytesWritten + piece <= lengthCap_) {
    return false;
  }
  closing_ = true;
  return true;
}
// Go's WriteHeader(1xx) writes the interim head whatever the client's version (an HTTP/1.0
// client gets "HTTP/1.0 103 Early Hints", or the 100 an upstream sent), as beginResponse
// does for a handler's final 1xx.
void Http1Session::sendInformational(int status, const runtime::HeaderList& fields) {
  if (closed_ || headWritten_ || status < 100 || status == 101 || status > 199) {
    return;
  }
  if (status == 100) {
    continueOwed_ = false;  // Go: a 100 written by the handler stands for the automatic one
  }
  appendInterimHead(status, fields);
  flush();
}

// A 1xx head with the response fields set so far (Go's WriteHeader(1xx): no Date, no framing
// fields), in the version the client spoke.
void Http1Session::appendInterimHead(int status, const runtime::HeaderList& fields) {
  const bool http10 = ex_.request.versionMajor == 1 && ex_.request.versionMinor == 0;
  out_.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  http::appendDecimal(out_, static_cast<uint64_t>(status));
  out_ += ' ';
  const std::string_view reason = reasonPhrase(status);
  out_.append(reason.empty() ? std::string_view("status code") : reason);
  out_.append("\r\n");
  auto put = [&](const runtime::HeaderList& list) {
    for (const auto& f : list) {
      if (!equalsIgnoreCase(f.name, "Content-Length") && !equalsIgnoreCase(f.name, "Transfer-Encoding") &&
          !equalsIgnoreCase(f.name, "Connection")) {
        appendField(out_, f.name, trimFieldValue(f.value));  // Go's WriteSubset, as a final head
      }
    }
  };
  put(ex_.response.headers);
  put(fields);
  out_.append("\r\n");
}

void Http1Session::onBodyData(std::string_view data, bool eof) {
  pullInFlight_ = false;
  if (closed_) {
    return;
  }
  std::string held;  // the pieces gathered for the sniff, this one appended
  if (sniffPending_) {
    runWaitingStages(ex_, std::exchange(stagesWaiting_, 0));
    const size_t total = sniffHold_.size() + data.size();
    const bool buffered = http::goBuffersStream(ex_.response) && total <= http::kGoHttp1BodyBuffer;
    if (sniffNeedsMore(ex_.response, total, eof) || (buffered && !eof)) {
      // Too few bytes to sniff on yet (a short first read, an empty one), or a body Go's
      // response buffer still holds: keep them and read on; the head goes with the first
      // 512 (sniffing) or 2048 (buffer) bytes, or at the end.
      sniffHold_.append(data);
      afterPiece();
      return;
    }
    if (buffered) {
      ex_.response.streamLength = total;  // ended within Go's buffer: a Content-Length
    }
    if (!sniffHold_.empty()) {
      held = std::move(sniffHold_);
      sniffHold_.clear();
      held.append(data);
      data = held;
    }
    writeSniffedHead(data);
  }
  if (overflowsLength(data.size())) {
    // Past the handler's Content-Length: what fits went out; the rest never does.
    streaming_ = false;
    closeNow();
    return;
  }
  if (!chunked_ && out_.empty() && !data.empty()) {
    // Straight from the source's buffer (a proxied body piece in the upstream read
    // buffer): no copy into out_ unless the socket leaves part of it waiting.
    ex_.response.bytesWritten += data.size();
    transport_.writeCopy(data);
  } else {
    appendBodyPiece(data, eof);
  }
  if (eof) {
    if (lengthCap_ != kNoLengthCap && ex_.response.bytesWritten != lengthCap_) {
      closing_ = true;  // shorter than its Content-Length: the client sees the cut
    }
    finishResponse();
    return;
  }
  afterPiece();
}

void Http1Session::writeSniffedHead(std::string_view body) {
  sniffPending_ = false;
  if (!body.empty() && wantsSniffedType(ex_.response, true)) {
    ex_.response.headers.add("Content-Type", sniffContentType(body));
    sniffedType_ = true;
  }
  writeHead(ex_.response.streamLength, true);
}

// The next piece is pulled once the client took this one (at once when it did already).
void Http1Session::afterPiece() {
  if (transport_.drained()) {
    onDrained();
  }
}

void Http1Session::appendBodyPiece(std::string_view data, bool eof) {
  if (chunked_ && !data.empty()) {
    http::appendHex(out_, data.size());
    out_.append("\r\n");
  }
  out_.append(data);  // copied before the source may be destroyed below
  ex_.response.bytesWritten += data.size();
  if (chunked_) {
    out_.append(data.empty() ? "" : "\r\n");
    if (eof) {
      out_.append("0\r\n");
      // A proxied response's trailers (Go's server writes them in the same place).
      if (const auto* trailers = runtime::trailersOf(ex_.response.stream.get())) {
        for (const auto& f : *trailers) {
          appendField(out_, f.name, trimFieldValue(f.value));  // Go's Header.Write too
        }
      }
      out_.append("\r\n");
    }
  }
  flush();
}

void Http1Session::onBodyError(int /*uvError*/) {
  pullInFlight_ = false;
  // The head promised a length (or a chunked end) we cannot deliver: the connection ends.
  // What was written before goes out first, as Go's server flushes before it closes, so
  // the client sees the head and a short body, which its framing shows to be short. A body
  // delimited by the close itself would look whole: that connection is reset instead.
  // The pending work goes with the session (it may be the caller).
  streaming_ = false;
  body_.detach();
  if (sniffPending_) {
    // The head still waited for bytes to sniff a Content-Type from (Go's response buffer
    // holds it likewise, and its final flush sends head and bytes).
    runWaitingStages(ex_, std::exchange(stagesWaiting_, 0));
    std::string held = std::move(sniffHold_);
    sniffHold_.clear();
    writeSniffedHead(held);
    appendBodyPiece(held, false);
  }
  if (!closing_ && !out_.empty()) {
    transport_.write(out_);
  }
  closed_ = true;
  transport_.close(closing_);
}

void Http1Session::finishResponse() {
  streaming_ = false;
  responseDone_ = true;
  ex_.response.stream.reset();
  if (requestDone_) {
    completeExchange();
    if (!closed_ && paused_) {
      // Not from here: the body source delivering this last piece belongs to the pending
      // work that the next request would drop (Exchange::clear) under its feet.
      parseLater_ = true;
      tasks_.schedule(transport_.loop());
    }
    return;
  }
  afterResponse();
}
}  // namespace gatehouse::http
