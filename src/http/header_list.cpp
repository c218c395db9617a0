#include "gatehouse/runtime/header_list.h"

#include <algorithm>

namespace gatehouse::runtime {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }
}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
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
  for (const auto& f : fields_) {
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
  return static_cast<size_t>(std::count_if(fields_.begin(), fields_.end(),
                                           [&](const HeaderField& f) { return equalsIgnoreCase(f.name, name); }));
}

void HeaderList::set(std::string_view name, std::string_view value) {
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [&](const HeaderField& f) { return equalsIgnoreCase(f.name, name); });
  if (it == fields_.end()) {
    add(name, value);
    return;
  }
  it->value.assign(value);
  auto rest = std::remove_if(it + 1, fields_.end(), [&](const HeaderField& f) { return equalsIgnoreCase(f.name, name); });
  fields_.erase(rest, fields_.end());
}

void HeaderList::add(std::string_view name, std::string_view value) {
  fields_.push_back(HeaderField{std::string(name), std::string(value)});
}

size_t HeaderList::remove(std::string_view name) {
  return std::erase_if(fields_, [&](const HeaderField& f) { return equalsIgnoreCase(f.name, name); });
}

}  // namespace gatehouse::runtime
