#pragma once
// An ordered list of HTTP header fields with case-insensitive lookup. Requests keep field
// names as received; response fields are written as stored. A flat vector beats a map for
// the ~10 fields of a typical message. Cleared fields stay behind the live ones as spare
// slots, so a list reused for the next request (the per-worker scratch) fills them again
// without allocating; clear() bounds what the spares keep.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::runtime {

bool equalsIgnoreCase(std::string_view a, std::string_view b);
// Go's textproto.CanonicalMIMEHeaderKey: "content-type" -> "Content-Type".
std::string canonicalHeaderName(std::string_view name);

struct HeaderField {
  std::string name;
  std::string value;
};

class HeaderList {
 public:
  // clear() frees a slot's strings grown past this, and slots past kMaxSlots.
  static constexpr size_t kMaxKeptBytes = 128;
  static constexpr size_t kMaxSlots = 32;

  HeaderList() = default;
  HeaderList(const HeaderList& other) : fields_(other.begin(), other.end()), size_(other.size_) {}
  HeaderList& operator=(const HeaderList& other) {
    if (this != &other) {
      clear();
      for (const auto& f : other) {
        add(f.name, f.value);
      }
    }
    return *this;
  }
  HeaderList(HeaderList&& other) noexcept : fields_(std::move(other.fields_)), size_(other.size_) {
    other.size_ = 0;
    other.fields_.clear();
  }
  HeaderList& operator=(HeaderList&& other) noexcept {
    fields_ = std::move(other.fields_);
    size_ = other.size_;
    other.size_ = 0;
    other.fields_.clear();
    return *this;
  }
  ~HeaderList() = default;

  // First value of `name`, or nullptr.
  [[nodiscard]] const std::string* find(std::string_view name) const;
  [[nodiscard]] std::string_view get(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const { return find(name) != nullptr; }
  [[nodiscard]] size_t count(std::string_view name) const;
  // Replaces every field named `name` with one field.
  void set(std::string_view name, std::string_view value);
  void add(std::string_view name, std::string_view value);
  // Removes every field named `name`; returns how many went.
  size_t remove(std::string_view name);
  template <typename Pred>
  void removeIf(Pred pred) {
    auto rest = std::remove_if(begin(), end(), [&](const HeaderField& f) { return pred(f.name); });
    size_ = static_cast<size_t>(rest - fields_.begin());
  }
  void clear();
  void reserve(size_t n) { fields_.reserve(n); }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] size_t size() const { return size_; }

  using iterator = std::vector<HeaderField>::iterator;
  using const_iterator = std::vector<HeaderField>::const_iterator;
  [[nodiscard]] const_iterator begin() const { return fields_.begin(); }
  [[nodiscard]] const_iterator end() const { return fields_.begin() + static_cast<std::ptrdiff_t>(size_); }
  iterator begin() { return fields_.begin(); }
  iterator end() { return fields_.begin() + static_cast<std::ptrdiff_t>(size_); }
  HeaderField& back() { return fields_[size_ - 1]; }
  void emplaceBack(std::string name, std::string value) {
    HeaderField& f = appendSlot();
    f.name = std::move(name);
    f.value = std::move(value);
  }
  // A new last field with both strings empty (a spare slot keeps its capacity).
  HeaderField& appendSlot();

 private:
  std::vector<HeaderField> fields_;  // [0, size_) live, then spare slots
  size_t size_ = 0;
};

}  // namespace gatehouse::runtime
