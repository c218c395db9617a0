#pragma once
// Idle compressors of one `encode` handler on one worker loop, kept for the next response.
// A zstd context holds some 1.2 MiB of tables and window and a deflate state 270 KiB:
// made and freed per response, their churn cost the allocation and zeroing each time and
// fragmented glibc's heap (six rounds of h2load, 50 streams of a 270 KB file with zstd:
// RSS 19 -> 156 MB and rising). A compressor handed out comes back here when its body is
// done, reset, unless the shelf is full or gone (a reload dropped the handler).
// Loop thread only.

#include <memory>
#include <vector>

#include "gatehouse/runtime/exchange_host.h"
#include "handlers/encode_body.h"

namespace gatehouse::handlers {

class CompressorShelf : public std::enable_shared_from_this<CompressorShelf> {
 public:
  // Idle compressors kept per encoding: enough for a worker's usual concurrency of
  // compressed responses without holding many megabytes of zstd contexts while idle.
  static constexpr size_t kKeepPerEncoding = 4;

  explicit CompressorShelf(size_t encodings) : idle_(encodings) {}

  // A compressor for encoding `index`: an idle one reset, or one `make()` builds. It
  // returns to this shelf when destroyed.
  template <typename Make>
  std::unique_ptr<Compressor> take(size_t index, Make&& make) {
    std::unique_ptr<Compressor> inner;
    auto& idle = idle_[index];
    if (!idle.empty()) {
      inner = std::move(idle.back());
      idle.pop_back();
    } else {
      inner = make();
    }
    return lend(index, std::move(inner));
  }

  // Takes a compressor back; kept when it resets and there is room.
  void giveBack(size_t index, std::unique_ptr<Compressor> c);

 private:
  std::unique_ptr<Compressor> lend(size_t index, std::unique_ptr<Compressor> inner);

  std::vector<std::vector<std::unique_ptr<Compressor>>> idle_;
};

// The shelf of one handler on one worker, kept in the worker's WorkerState.
struct CompressorShelfLocal final : runtime::WorkerLocal {
  explicit CompressorShelfLocal(size_t encodings) : shelf(std::make_shared<CompressorShelf>(encodings)) {}
  std::shared_ptr<CompressorShelf> shelf;
};

}  // namespace gatehouse::handlers
