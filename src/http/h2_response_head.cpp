#include "http/h2_response_head.h"

#include "http/field_syntax.h"

#include <array>
#include <ctime>
#include <string_view>

namespace gatehouse::http {

namespace {
using runtime::equalsIgnoreCase;

// Meaningless on a multiplexed connection; HTTP/2 forbids them (RFC 9113 8.2.2).
constexpr std::array<std::string_view, 5> kConnectionSpecific = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"};

// Go's httpguts.ValidHeaderFieldName / ValidHeaderFieldValue: Go skips fields failing them.
bool sendable(const runtime::HeaderField& f) { return validFieldName(f.name) && validFieldValue(f.value); }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool connectionSpecific(std::string_view lowerName) {
  for (std::string_view n : kConnectionSpecific) {
    if (lowerName == n) {
      return true;
    }
  }
  return false;
}
}  // namespace

bool bodyAllowedForStatus(int status) {
  return !(status < 200 || status == 204 || status == 304);
}

H2ResponseHead::H2ResponseHead(const runtime::Response& res, std::optional<uint64_t> contentLength,
                               DateCache& dates) {
  const bool allowed = bodyAllowedForStatus(res.status);
  fields_.reserve(res.headers.size() + 3);
  add(":status", std::to_string(res.status));
  bool hasLength = false;
  bool hasDate = false;
  for (const auto& f : res.headers) {
    if (!sendable(f)) {
      continue;
    }
    std::string name = lowercase(f.name);
    if (connectionSpecific(name)) {
      continue;
    }
    if (name == "content-length") {
      if (!allowed || hasLength) {
        continue;
      }
      hasLength = true;
    }
    hasDate = hasDate || name == "date";
    add(std::move(name), f.value);
  }
  if (allowed && !hasLength && contentLength) {
    add("content-length", std::to_string(*contentLength));
  }
  if (!hasDate) {
    add("date", dates.get(std::time(nullptr)));
  }
  // Pointers only now: `fields_` no longer grows, so its strings stay put.
  nv_.reserve(fields_.size());
  for (auto& [name, value] : fields_) {
    nv_.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(name.data()),
                             reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                             NGHTTP2_NV_FLAG_NONE});
  }
}

void H2ResponseHead::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

}  // namespace gatehouse::http
