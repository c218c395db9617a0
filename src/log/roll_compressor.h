#pragma once
// Gzips rolled log files and prunes old ones on a thread of its own, so that the log writer
// thread goes back to writing (and the loops' queue keeps draining) right after a roll.
// Jobs run in order; the destructor finishes the queued ones.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gatehouse::log {

class RollCompressor {
 public:
  RollCompressor();
  ~RollCompressor();
  RollCompressor(const RollCompressor&) = delete;
  RollCompressor& operator=(const RollCompressor&) = delete;

  void post(std::function<void()> job);
  // Blocks until every job posted so far has run (tests).
  void drain();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> jobs_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gatehouse::log
