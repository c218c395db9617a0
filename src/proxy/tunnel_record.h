#pragma once
// What a relayed tunnel keeps of its exchange for the server's access log and metrics,
// which record a tunnel when it ends (Caddy writes a WebSocket's entry then: status 101,
// the whole tunnel's duration). The request itself is the relay's PackedRequest; this
// holds the rest that RequestHandler::finished() reads, in one flat buffer, and rebuilds
// the exchange for it, so the entry is the one the exchange would have written itself.
// Made only for servers that record exchanges. Loop thread only.

#include <chrono>
#include <cstdint>
#include <string>

#include "gatehouse/runtime/exchange.h"
#include "http/session.h"

namespace gatehouse::proxy {

class TunnelRecord {
 public:
  TunnelRecord(http::RequestHandler& recorder, const runtime::Exchange& ex);
  // Hands the exchange, its request already unpacked into ex.request, to the recorder.
  // `moreWritten`: body bytes sent since (an HTTP/2 tunnel's DATA bytes count as its body).
  void finish(runtime::Exchange& ex, uint64_t moreWritten = 0) const;

 private:
  http::RequestHandler& recorder_;
  std::string blob_;  // response fields, vars, captures, handler trace (length-prefixed)
  std::chrono::steady_clock::time_point start_;
  uint64_t bodyLength_ = 0;
  uint64_t bodyBytesRead_ = 0;
  uint64_t bytesWritten_ = 0;
  uint32_t headerBytes_ = 0;
  // When the head went out (metrics' time to first byte), in microseconds after start_,
  // plus one; 0: never. 32 bits keep the record in its malloc size class; a head later
  // than 71 minutes is recorded as that late (past every histogram bucket either way).
  uint32_t headAtUs_ = 0;
  int16_t status_ = 0;
  int16_t errorStatus_ = 0;
  bool abort_ = false;
};

}  // namespace gatehouse::proxy
