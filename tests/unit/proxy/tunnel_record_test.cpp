// TunnelRecord: a relayed tunnel records its exchange at the end with everything the access
// log and metrics read, as the exchange itself would have.
#include "proxy/tunnel_record.h"

#include <catch2/catch.hpp>

#include "proxy/packed_request.h"

using gatehouse::proxy::PackedRequest;
using gatehouse::proxy::TunnelRecord;
using gatehouse::runtime::Exchange;

namespace {

class Recorder final : public gatehouse::http::RequestHandler {
 public:
  gatehouse::runtime::Outcome handle(Exchange& /*ex*/) override {
    return gatehouse::runtime::Outcome::Handled;
  }
  gatehouse::runtime::Outcome resumed(Exchange& /*ex*/) override {
    return gatehouse::runtime::Outcome::Handled;
  }
  void finished(const Exchange& ex) override {
    ++calls;
    status = ex.response.status;
    errorStatus = ex.error.status;
    abort = ex.response.abort;
    bytesWritten = ex.response.bytesWritten;
    start = ex.request.start;
    headerBytes = ex.request.headerBytes;
    bodyLength = ex.request.bodyLength;
    bodyBytesRead = ex.request.bodyBytesRead;
    uri = ex.request.origUri;
    for (const auto& f : ex.response.headers) {
      responseFields.emplace_back(f.name, f.value);
    }
    vars = ex.vars;
    captures = ex.captures;
    trace = ex.handlerTrace;
  }

  int calls = 0;
  int status = 0;
  int errorStatus = 0;
  bool abort = true;
  uint64_t bytesWritten = 0;
  std::chrono::steady_clock::time_point start;
  size_t headerBytes = 0;
  uint64_t bodyLength = 0;
  uint64_t bodyBytesRead = 0;
  std::string uri;
  std::vector<std::pair<std::string, std::string>> responseFields;
  std::vector<std::pair<std::string, std::string>> vars;
  std::vector<std::pair<std::string, std::string>> captures;
  std::vector<uint32_t> trace;
};

}  // namespace

TEST_CASE("TunnelRecord hands the recorder the exchange's recorded facts", "[proxy][relay]") {
  Exchange ex;
  ex.request.origUri = "/ws?room=1";
  ex.request.start = std::chrono::steady_clock::now() - std::chrono::seconds(3);
  ex.request.headerBytes = 187;
  ex.request.bodyLength = 0;
  ex.request.bodyBytesRead = 0;
  ex.response.status = 101;
  ex.response.bytesWritten = 0;
  ex.response.headers.emplaceBack("Server", "Gatehouse");
  ex.response.headers.emplaceBack("Sec-Websocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  ex.response.headers.emplaceBack("X-Empty", "");
  ex.vars = {{"log_skip", "false"}, {"room", "1"}};
  ex.captures = {{"http.set.http.auth.user.id", "alice"}};
  ex.handlerTrace = {0, 3};

  Recorder recorder;
  const PackedRequest request(ex.request);
  const TunnelRecord record(recorder, ex);
  Exchange rebuilt;
  request.unpack(rebuilt.request);
  record.finish(rebuilt);

  REQUIRE(recorder.calls == 1);
  CHECK(recorder.status == 101);
  CHECK(recorder.errorStatus == 0);
  CHECK_FALSE(recorder.abort);
  CHECK(recorder.bytesWritten == 0);
  CHECK(recorder.start == ex.request.start);  // the entry's duration covers the whole tunnel
  CHECK(recorder.headerBytes == 187);
  CHECK(recorder.uri == "/ws?room=1");
  CHECK(recorder.responseFields == std::vector<std::pair<std::string, std::string>>{
                                       {"Server", "Gatehouse"},
                                       {"Sec-Websocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
                                       {"X-Empty", ""}});
  CHECK(recorder.vars == ex.vars);
  CHECK(recorder.captures == ex.captures);
  CHECK(recorder.trace == std::vector<uint32_t>{0, 3});
}

TEST_CASE("TunnelRecord keeps when the head went out (metrics) and adds bytes sent since", "[proxy][relay]") {
  Exchange ex;
  ex.request.start = std::chrono::steady_clock::now() - std::chrono::seconds(2);
  ex.response.status = 200;
  ex.response.headAt = ex.request.start + std::chrono::milliseconds(15);
  Recorder recorder;
  std::chrono::steady_clock::time_point headAt;
  {
    const TunnelRecord record(recorder, ex);
    Exchange rebuilt;
    record.finish(rebuilt, 4096);  // an HTTP/2 tunnel's DATA bytes
    headAt = rebuilt.response.headAt;
  }
  CHECK(recorder.bytesWritten == 4096);
  CHECK(std::chrono::duration_cast<std::chrono::microseconds>(headAt - ex.request.start).count() == 15000);
  // No head written (an empty 200 of a chain that answered nothing): none recorded.
  ex.response.headAt = {};
  const TunnelRecord none(recorder, ex);
  Exchange rebuilt;
  none.finish(rebuilt);
  CHECK(rebuilt.response.headAt == std::chrono::steady_clock::time_point{});
}
