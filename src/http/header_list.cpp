#include "gatehouse/runtime/header_list.h"

#include <algorithm>
#include <array>

namespace gatehouse::runtime {

namespace {
// ASCII case maps as tables: field names are compared and canonicalized on every request.
constexpr std::array<char, 256> caseMap(char from, char to) {
  std::array<char, 256> map{};
  for (int c = 0; c < 256; ++c) {
    map[static_cast<size_t>(c)] =
        static_cast<char>(c >= from && c <= to ? c + ('a' - 'A') * (from == 'A' ? 1 : -1) : c);
  }
  return map;
}
constexpr std::array<char, 256> kLower = caseMap('A', 'Z');
constexpr std::array<char, 256> kUpper = caseMap('a', 'z');
char lower(char c) {
  return kLower[static_cast<unsigned char>(c)];
}
char upper(char c) {
  return kUpper[static_cast<unsigned char>(c)];
}
}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    // Names mostly meet in the same case: map only the bytes that differ.
    if (a[i] != b[i] && lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string canonicalHeaderName(std::string_view name) {
  // One pass; Go leaves names with spaces or non-ASCII bytes alone.
  std::string out(name.size(), '\0');
  bool start = true;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == ' ' || static_cast<unsigned char>(c) >= 0x80) {
      out.assign(name);
      return out;
    }
    out[i] = start ? upper(c) : lower(c);
    start = c == '-';
  }
  return out;
}

const std::string* HeaderList::find(std::string_view name) const {
  for (const auto& f : *this) {
    if (equalsIgnoreCase(f.name, name)) {
      return &f.value;
    }
  }
  return nullptr;
}

std::string_view HeaderList::get(std::string_view name) const {
  const std::string* v = find(name);
  return v ? std::string_view(*v) : std::string_view();
}

size_t HeaderList::count(std::string_view name) const {
  return static_cast<size_t>(
      std::count_if(begin(), end(), [&](const HeaderField& f) { return equalsIgnoreCase(f.name, name); }));
}

void HeaderList::set(std::string_view name, std::string_view value) {
  auto it =
      std::find_if(begin(), end(), [&](const HeaderField& f) { return equalsIgnoreCase(f.name, name); });
  if (it == end()) {
    add(name, value);
    return;
  }
  it->value.assign(value);
  auto rest =
      std::remove_if(it + 1, end(), [&](const HeaderField& f) { return equalsIgnoreCase(f.name, name); });
  size_ = static_cast<size_t>(rest - fields_.begin());
}

HeaderField& HeaderList::appendSlot() {
  if (size_ == fields_.size()) {
    fields_.emplace_back();
  } else {
    fields_[size_].name.clear();
    fields_[size_].value.clear();
  }
  return fields_[size_++];
}

void HeaderList::add(std::string_view name, std::string_view value) {
  HeaderField& f = appendSlot();
  f.name.assign(name);
  f.value.assign(value);
}

size_t HeaderList::remove(std::string_view name) {
  const size_t before = size_;
  removeIf([&](const std::string& n) { return equalsIgnoreCase(n, name); });
  return before - size_;
}

void HeaderList::clear() {
  // Spares too: a removed field's strings can end up behind the live ones.
  if (fields_.size() > kMaxSlots) {
    fields_.resize(kMaxSlots);
  }
  for (HeaderField& f : fields_) {
    // swap, not assignment: assigning a short string keeps the long buffer.
    if (f.name.capacity() > kMaxKeptBytes) {
      std::string().swap(f.name);
    }
    if (f.value.capacity() > kMaxKeptBytes) {
      std::string().swap(f.value);
    }
  }
  size_ = 0;
}

}  // namespace gatehouse::runtime
