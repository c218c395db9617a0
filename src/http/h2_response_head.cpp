#include "http/h2_response_head.h"

#include <array>
#include <ctime>
#include <string_view>

#include "http/field_syntax.h"
#include "http/number_text.h"

namespace gatehouse::http {

namespace {
// Meaningless on a multiplexed connection; HTTP/2 forbids them (RFC 9113 8.2.2).
constexpr std::array<std::string_view, 5> kConnectionSpecific = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"};

// Lowercases a field name into `out` (room for name.size() bytes); false when it is not a
// token (Go's httpguts.ValidHeaderFieldName), in one pass.
bool lowerName(std::string_view name, char* out) {
  char bad = name.empty() ? 1 : 0;
  for (char c : name) {
    const char l = lowerTokenChar(static_cast<unsigned char>(c));
    bad |= static_cast<char>(l == 0);
    *out++ = l;
  }
  return bad == 0;
}

bool connectionSpecific(std::string_view lowerName) {
  for (std::string_view n : kConnectionSpecific) {
    if (lowerName == n) {
      return true;
    }
  }
  return false;
}

// A handler's Content-Length on a response without content, as Go's HTTP/2 server passes
// it on: a 304's names the length a 200 would have had (RFC 9110 8.6); a 204 may say 0 (Go
// sends any value, which nghttp2's clients refuse with a stream error: only 0 goes here).
bool lengthKeptWithoutBody(int status, uint64_t length) {
  return status == 304 || (status == 204 && length == 0);
}

uint8_t* bytes(const char* p) {
  return reinterpret_cast<uint8_t*>(const_cast<char*>(p));
}
}  // namespace

std::optional<uint64_t> declaredContentLength(const runtime::HeaderList& headers) {
  const std::string* v = headers.find("Content-Length");
  uint64_t n = 0;
  if (v == nullptr || !parseContentLength(*v, n)) {
    return std::nullopt;
  }
  return n;
}

bool bodyAllowedForStatus(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

void H2ResponseHead::add(std::string_view name, std::string_view value) {
  nv_.push_back(
      nghttp2_nv{bytes(name.data()), bytes(value.data()), name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
}

void H2ResponseHead::build(const runtime::Response& res, std::optional<uint64_t> contentLength,
                           DateCache& dates) {
  const bool allowed = bodyAllowedForStatus(res.status);
  // text_ must not move once names point into it: room for every name, the status and a
  // content-length, reserved before the first byte goes in.
  size_t need = 48;  // the status and content-length digits, with room to spare
  for (const auto& f : res.headers) {
    need += f.name.size();
  }
  text_.clear();
  text_.reserve(need);
  nv_.clear();
  nv_.reserve(res.headers.size() + 3);

  const size_t statusAt = text_.size();
  appendDecimal(text_, static_cast<uint64_t>(res.status));
  add(":status", std::string_view(text_).substr(statusAt));
  bool hasLength = false;
  bool hasDate = false;
  for (const auto& f : res.headers) {
    // Go skips fields failing httpguts.ValidHeaderFieldName / ValidHeaderFieldValue.
    const size_t at = text_.size();
    text_.resize(at + f.name.size());  // within the reserved capacity: nothing moves
    if (!lowerName(f.name, text_.data() + at) || !validFieldValue(f.value)) {
      text_.resize(at);
      continue;
    }
    const std::string_view name = std::string_view(text_).substr(at);
    if (connectionSpecific(name)) {
      text_.resize(at);
      continue;
    }
    if (name == "content-length") {
      uint64_t declared = 0;
      if (hasLength || !parseContentLength(f.value, declared) ||
          (!allowed && !lengthKeptWithoutBody(res.status, declared))) {
        text_.resize(at);
        continue;
      }
      hasLength = true;
    }
    hasDate = hasDate || name == "date";
    add(name, f.value);
  }
  if (allowed && !hasLength && contentLength) {
    const size_t at = text_.size();
    appendDecimal(text_, *contentLength);
    add("content-length", std::string_view(text_).substr(at));
  }
  if (!hasDate) {
    add("date", dates.get(std::time(nullptr)));
  }
}

}  // namespace gatehouse::http
