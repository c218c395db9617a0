#pragma once
// A request's facts in one flat buffer: what a relayed tunnel keeps of its exchange so
// that a reload can still ask whether the new config serves its site (route matchers read
// the request). A WebSocket may idle for hours; a Request with its header list costs
// several hundred bytes more than the few strings it holds. Loop thread only.

#include <cstdint>
#include <memory>
#include <string>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::proxy {

class PackedRequest {
 public:
  PackedRequest() = default;
  explicit PackedRequest(const runtime::Request& r);
  // Fills `r` (a fresh Request) with what was packed.
  void unpack(runtime::Request& r) const;

 private:
  std::string blob_;  // length-prefixed strings: the fixed fields, then name/value pairs
  std::shared_ptr<const runtime::TlsInfo> tlsInfo_;
  uint16_t remotePort_ = 0;
  uint16_t localPort_ = 0;
  uint8_t versionMajor_ = 1;
  uint8_t versionMinor_ = 1;
  bool tls_ = false;
  bool hasQuery_ = false;
};

}  // namespace gatehouse::proxy
