#pragma once
// A multipart/byteranges body too large to read inline: each range streams through a
// FileBody (the libuv thread pool), with its part head put in front of the range's first
// piece and the closing delimiter after the last one, so nothing is held in memory beyond
// one read chunk.

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/runtime/body_source.h"
#include "handlers/byteranges.h"
#include "handlers/file_body.h"

namespace gatehouse::handlers {

class ByterangesBody final : public runtime::BodySource, private runtime::BodySink {
 public:
  ByterangesBody(UniqueFd fd, std::vector<ByteRange> ranges, uint64_t size, std::string contentType,
                 std::string boundary);

  void pull(uv_loop_t* loop, runtime::BodySink& sink) override;

 private:
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;

  UniqueFd fd_;
  std::vector<ByteRange> ranges_;
  uint64_t size_;
  std::string contentType_;
  std::string boundary_;
  size_t next_ = 0;                 // the range the next FileBody reads
  std::unique_ptr<FileBody> part_;  // the range being read
  std::string pending_;             // a part head not yet delivered
  std::string piece_;               // what goes to the sink (head + data [+ closing])
  runtime::BodySink* sink_ = nullptr;
};

}  // namespace gatehouse::handlers
