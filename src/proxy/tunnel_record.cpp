#include "proxy/tunnel_record.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace gatehouse::proxy {

namespace {

void put(std::string& blob, uint32_t n) {
  blob.append(reinterpret_cast<const char*>(&n), sizeof(n));
}

void put(std::string& blob, std::string_view s) {
  put(blob, static_cast<uint32_t>(s.size()));
  blob.append(s);
}

uint32_t takeCount(std::string_view& rest) {
  uint32_t n = 0;
  std::memcpy(&n, rest.data(), sizeof(n));
  rest.remove_prefix(sizeof(n));
  return n;
}

std::string_view take(std::string_view& rest) {
  const uint32_t n = takeCount(rest);
  std::string_view s = rest.substr(0, n);
  rest.remove_prefix(n);
  return s;
}

template <typename Pairs>
void putPairs(std::string& blob, const Pairs& pairs) {
  put(blob, static_cast<uint32_t>(pairs.size()));
  for (const auto& [name, value] : pairs) {
    put(blob, name);
    put(blob, value);
  }
}

}  // namespace

TunnelRecord::TunnelRecord(http::RequestHandler& recorder, const runtime::Exchange& ex)
    : recorder_(recorder),
      start_(ex.request.start),
      bodyLength_(ex.request.bodyLength),
      bodyBytesRead_(ex.request.bodyBytesRead),
      bytesWritten_(ex.response.bytesWritten),
      headerBytes_(static_cast<uint32_t>(ex.request.headerBytes)),
      status_(static_cast<int16_t>(ex.response.status)),
      errorStatus_(static_cast<int16_t>(ex.error.status)),
      abort_(ex.response.abort) {
  if (ex.response.headAt != std::chrono::steady_clock::time_point{}) {
    const auto since = ex.response.headAt - start_;
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(since).count();
    headAtUs_ = static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX - 1) + 1);
  }
  std::string blob;
  put(blob, static_cast<uint32_t>(ex.response.headers.size()));
  for (const auto& f : ex.response.headers) {
    put(blob, f.name);
    put(blob, f.value);
  }
  putPairs(blob, ex.vars);
  putPairs(blob, ex.captures);
  put(blob, static_cast<uint32_t>(ex.handlerTrace.size()));
  for (uint32_t id : ex.handlerTrace) {
    put(blob, id);
  }
  blob_ = std::string(blob);  // exact size: it may be kept for hours
}

void TunnelRecord::finish(runtime::Exchange& ex, uint64_t moreWritten) const {
  auto& req = ex.request;
  req.start = start_;
  req.bodyLength = bodyLength_;
  req.bodyBytesRead = bodyBytesRead_;
  req.headerBytes = headerBytes_;
  ex.response.status = status_;
  ex.response.abort = abort_;
  ex.response.bytesWritten = bytesWritten_ + moreWritten;
  if (headAtUs_ != 0) {
    ex.response.headAt = start_ + std::chrono::microseconds(headAtUs_ - 1);
  }
  ex.error.status = errorStatus_;
  std::string_view rest = blob_;
  for (uint32_t n = takeCount(rest); n > 0; --n) {
    std::string_view name = take(rest);
    std::string_view value = take(rest);
    ex.response.headers.emplaceBack(std::string(name), std::string(value));
  }
  for (auto* pairs : {&ex.vars, &ex.captures}) {
    for (uint32_t n = takeCount(rest); n > 0; --n) {
      std::string name(take(rest));
      pairs->emplace_back(std::move(name), std::string(take(rest)));
    }
  }
  for (uint32_t n = takeCount(rest); n > 0; --n) {
    ex.handlerTrace.push_back(takeCount(rest));
  }
  recorder_.finished(ex);
}

}  // namespace gatehouse::proxy
