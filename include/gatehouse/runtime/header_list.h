#pragma once
// An ordered list of HTTP header fields with case-insensitive lookup. Requests keep field
// names as received; response fields are written as stored. A flat vector beats a map for
// the ~10 fields of a typical message and keeps one allocation per field.

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
    std::erase_if(fields_, [&](const HeaderField& f) { return pred(f.name); });
  }
  void clear() { fields_.clear(); }
  void reserve(size_t n) { fields_.reserve(n); }
  [[nodiscard]] bool empty() const { return fields_.empty(); }
  [[nodiscard]] size_t size() const { return fields_.size(); }

  [[nodiscard]] auto begin() const { return fields_.begin(); }
  [[nodiscard]] auto end() const { return fields_.end(); }
  auto begin() { return fields_.begin(); }
  auto end() { return fields_.end(); }
  HeaderField& back() { return fields_.back(); }
  void emplaceBack(std::string name, std::string value) {
    fields_.push_back(HeaderField{std::move(name), std::move(value)});
  }

 private:
  std::vector<HeaderField> fields_;
};

}  // namespace gatehouse::runtime
