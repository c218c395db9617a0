#pragma once
// The open streams of one HTTP/2 session, owned and ordered by id. Clients open streams in
// increasing id order (RFC 9113 5.1.1), so a new stream goes at the back and a lookup is a
// binary search over a few pointers: no node allocated or freed per request, as a hash map
// would. At most SETTINGS_MAX_CONCURRENT_STREAMS (250) entries. One table holds the streams
// that serve exchanges (H2Stream), another the relayed tunnels (H2TunnelLink). `T` has a
// public `int32_t id` (H2Stream) or an `id()` accessor. Loop-thread only.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace gatehouse::http {

template <typename T>
class H2IdTable {
 public:
  using Entries = std::vector<std::unique_ptr<T>>;

  [[nodiscard]] T* find(int32_t id) const {
    auto it = lowerBound(id);
    return it != entries_.end() && idOf(**it) == id ? it->get() : nullptr;
  }
  void insert(std::unique_ptr<T> stream) {
    const int32_t id = idOf(*stream);
    if (entries_.empty() || idOf(*entries_.back()) < id) {
      entries_.push_back(std::move(stream));
      return;
    }
    entries_.insert(lowerBound(id), std::move(stream));
  }
  // Removes and returns the stream with `id`; null when there is none.
  std::unique_ptr<T> take(int32_t id) {
    const auto at = lowerBound(id) - entries_.begin();
    if (at == static_cast<std::ptrdiff_t>(entries_.size()) ||
        idOf(*entries_[static_cast<size_t>(at)]) != id) {
      return nullptr;
    }
    std::unique_ptr<T> out = std::move(entries_[static_cast<size_t>(at)]);
    entries_.erase(entries_.begin() + at);
    return out;
  }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }
  // Gives the slots back once no stream is open (an idle connection keeps nothing).
  void trim() {
    if (entries_.empty()) {
      Entries().swap(entries_);
    } else {
      entries_.shrink_to_fit();  // a burst's slots, once most of its streams are gone
    }
  }
  [[nodiscard]] typename Entries::const_iterator begin() const { return entries_.begin(); }
  [[nodiscard]] typename Entries::const_iterator end() const { return entries_.end(); }

 private:
  static int32_t idOf(const T& t) {
    if constexpr (requires { t.id(); }) {
      return t.id();
    } else {
      return t.id;
    }
  }
  [[nodiscard]] typename Entries::const_iterator lowerBound(int32_t id) const {
    return std::lower_bound(entries_.begin(), entries_.end(), id,
                            [](const std::unique_ptr<T>& s, int32_t v) { return idOf(*s) < v; });
  }

  Entries entries_;
};

}  // namespace gatehouse::http
