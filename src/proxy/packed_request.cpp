#include "proxy/packed_request.h"

#include <cstring>
#include <string_view>

namespace gatehouse::proxy {

namespace {

void put(std::string& blob, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  blob.append(reinterpret_cast<const char*>(&n), sizeof(n));
  blob.append(s);
}

std::string_view take(std::string_view& rest) {
  uint32_t n = 0;
  std::memcpy(&n, rest.data(), sizeof(n));
  std::string_view s = rest.substr(sizeof(n), n);
  rest.remove_prefix(sizeof(n) + n);
  return s;
}

constexpr size_t kFixedStrings = 8;

}  // namespace

PackedRequest::PackedRequest(const runtime::Request& r)
    : tlsInfo_(r.tlsInfo),
      remotePort_(r.remotePort),
      localPort_(r.localPort),
      versionMajor_(static_cast<uint8_t>(r.versionMajor)),
      versionMinor_(static_cast<uint8_t>(r.versionMinor)),
      tls_(r.tls),
      hasQuery_(r.hasQuery) {
  size_t size = 0;
  for (const std::string* s :
       {&r.method, &r.host, &r.path, &r.rawPath, &r.query, &r.origUri, &r.remoteIp, &r.upgrade}) {
    size += sizeof(uint32_t) + s->size();
  }
  for (const auto& f : r.headers) {
    size += 2 * sizeof(uint32_t) + f.name.size() + f.value.size();
  }
  blob_.reserve(size);
  for (const std::string* s :
       {&r.method, &r.host, &r.path, &r.rawPath, &r.query, &r.origUri, &r.remoteIp, &r.upgrade}) {
    put(blob_, *s);
  }
  for (const auto& f : r.headers) {
    put(blob_, f.name);
    put(blob_, f.value);
  }
}

void PackedRequest::unpack(runtime::Request& r) const {
  std::string_view rest = blob_;
  if (rest.empty()) {
    return;
  }
  std::string* fixed[kFixedStrings] = {&r.method, &r.host,    &r.path,     &r.rawPath,
                                       &r.query,  &r.origUri, &r.remoteIp, &r.upgrade};
  for (std::string* s : fixed) {
    *s = take(rest);
  }
  while (!rest.empty()) {
    std::string_view name = take(rest);
    std::string_view value = take(rest);
    r.headers.emplaceBack(std::string(name), std::string(value));
  }
  r.hasQuery = hasQuery_;
  r.versionMajor = versionMajor_;
  r.versionMinor = versionMinor_;
  r.tls = tls_;
  r.remotePort = remotePort_;
  r.localPort = localPort_;
  r.tlsInfo = tlsInfo_;
}

}  // namespace gatehouse::proxy
