// Request methods llhttp does not know. Go's server (Caddy's) takes any token as a method
// ("FOO", lowercase "get", WebDAV's "VERSION-CONTROL"); llhttp 8.1 matches methods against a
// fixed table and stops with HPE_INVALID_METHOD. The parsing stays llhttp's: when it stops
// inside the method token, the token is taken from the bytes, the parser is reset and fed
// "GET" in its place followed by the rest of the request (framing rules do not depend on the
// method in Go or llhttp, but for CONNECT and HEAD, which llhttp knows), and the head gets
// the real name (onHeadersComplete). Only a method llhttp knows for RTSP alone (PLAY,
// SETUP...) still fails: llhttp refuses it later, at the version, where the token's bytes
// may be gone.
#include <algorithm>
#include <cstring>

#include "http/field_syntax.h"
#include "http/http1_session.h"

namespace gatehouse::http {

namespace {
constexpr std::string_view kStandIn = "GET";
}  // namespace

int Http1Session::onMethod(llhttp_t* p, const char* at, size_t len) {
  // Called at the token's end, or with its first part when a read ends inside it.
  self(p).methodSeen_.append(at, len);
  return 0;
}

// llhttp stopped with HPE_INVALID_METHOD inside [data, data + len). True when that was a
// token llhttp lacks: parsing goes on at `resumeAt`, or (null) once more bytes came.
bool Http1Session::takeCustomMethod(const char* data, size_t len, const char*& resumeAt) {
  // llhttp's two refusals inside the token (its texts are the only way to tell them from
  // "Invalid method for HTTP/x.x request", given later at the version).
  const char* reason = llhttp_get_error_reason(&parser_);
  if (reason == nullptr || (std::strcmp(reason, "Invalid method encountered") != 0 &&
                            std::strcmp(reason, "Expected space after method") != 0)) {
    return false;
  }
  const char* errorAt = llhttp_get_error_pos(&parser_);
  const char* start = parser_._span_pos0 != nullptr ? static_cast<const char*>(parser_._span_pos0) : errorAt;
  const char* end = data + len;
  if (start < data || start > errorAt || errorAt > end || std::find(start, errorAt, ' ') != errorAt) {
    return false;  // not stopped inside the method token (an RTSP method, refused at the version)
  }
  const char* space = std::find(errorAt, end, ' ');
  std::string token = std::move(methodSeen_);
  methodSeen_.clear();
  token.append(start, space);
  if (space == end) {
    // The token may go on: keep it (within the head's size limit) until its end arrives.
    if (token.size() > limits_.maxHeaderBytes || !validFieldName(token)) {
      return false;
    }
    llhttp_reset(&parser_);
    methodHold_ = std::move(token);
    resumeAt = nullptr;
    return true;
  }
  if (!validFieldName(token)) {
    return false;  // not a token (a control byte, an empty method): Go's 400 as well
  }
  llhttp_reset(&parser_);
  parseAsCustomMethod(std::move(token));
  resumeAt = space;
  return true;
}

// A held token and the next read: false while its end is still to come.
bool Http1Session::continueHeldMethod(const char*& data, size_t& len) {
  const char* end = data + len;
  const char* space = std::find(data, end, ' ');
  methodHold_.append(data, space);
  if (space == end) {
    if (methodHold_.size() > limits_.maxHeaderBytes || !validFieldName(methodHold_)) {
      methodHold_.clear();
      failRequest(400);
    }
    return false;
  }
  std::string token = std::move(methodHold_);
  methodHold_.clear();
  if (!validFieldName(token)) {
    failRequest(400);
    return false;
  }
  parseAsCustomMethod(std::move(token));
  len -= static_cast<size_t>(space - data);
  data = space;
  return true;
}

void Http1Session::parseAsCustomMethod(std::string token) {
  customMethod_ = std::move(token);
  executing_ = true;
  execBegin_ = kStandIn.data();
  llhttp_execute(&parser_, kStandIn.data(), kStandIn.size());  // a method prefix: never an error
  executing_ = false;
  keepTail(kStandIn.data(), kStandIn.data() + kStandIn.size());
  methodSeen_.clear();
}

}  // namespace gatehouse::http
