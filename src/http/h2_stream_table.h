#pragma once
// The open streams of one HTTP/2 session, owned and ordered by id. Clients open streams in
// increasing id order (RFC 9113 5.1.1), so a new stream goes at the back and a lookup is a
// binary search over a few pointers: no node allocated or freed per request, as a hash map
// would. At most SETTINGS_MAX_CONCURRENT_STREAMS (250) entries. Loop-thread only.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "http/h2_stream.h"

namespace gatehouse::http {

class H2StreamTable {
 public:
  using Entries = std::vector<std::unique_ptr<H2Stream>>;

  [[nodiscard]] H2Stream* find(int32_t id) const {
    auto it = lowerBound(id);
    return it != entries_.end() && (*it)->id == id ? it->get() : nullptr;
  }
  void insert(std::unique_ptr<H2Stream> stream) {
    if (entries_.empty() || entries_.back()->id < stream->id) {
      entries_.push_back(std::move(stream));
      return;
    }
    const int32_t id = stream->id;
    entries_.insert(lowerBound(id), std::move(stream));
  }
  // Removes and returns the stream with `id`; null when there is none.
  std::unique_ptr<H2Stream> take(int32_t id) {
    const auto at = lowerBound(id) - entries_.begin();
    if (at == static_cast<std::ptrdiff_t>(entries_.size()) || entries_[static_cast<size_t>(at)]->id != id) {
      return nullptr;
    }
    std::unique_ptr<H2Stream> out = std::move(entries_[static_cast<size_t>(at)]);
    entries_.erase(entries_.begin() + at);
    return out;
  }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  // Gives the slots back once no stream is open (an idle connection keeps nothing).
  void trim() {
    if (entries_.empty()) {
      Entries().swap(entries_);
    }
  }
  [[nodiscard]] Entries::const_iterator begin() const { return entries_.begin(); }
  [[nodiscard]] Entries::const_iterator end() const { return entries_.end(); }

 private:
  [[nodiscard]] Entries::const_iterator lowerBound(int32_t id) const {
    return std::lower_bound(entries_.begin(), entries_.end(), id,
                            [](const std::unique_ptr<H2Stream>& s, int32_t v) { return s->id < v; });
  }

  Entries entries_;
};

}  // namespace gatehouse::http
