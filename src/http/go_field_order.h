#pragma once
// The order Go's net/http writes a response's own header fields in (Header.WriteSubset):
// sorted by name, bytewise (Go's names are canonical, as Gatehouse's are), the values of one
// name in the order they were added. Caddy 2.6.2's HTTP/1 answers follow it, so Gatehouse's do.

#include <cstdint>
#include <string_view>
#include <vector>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::http {

// A field to write and what the writer noted about it (its own tag, kept through the sort).
struct OrderedField {
  const runtime::HeaderField* field;
  uint8_t tag;
};

// Sorts `fields` by name, keeping the order of equal names. An insertion sort: a head holds
// a handful of fields, often in order already, and it allocates nothing. Names nearly always
// differ in their first byte, compared before the rest.
inline void sortFieldsGoOrder(std::vector<OrderedField>& fields) {
  auto less = [](std::string_view a, std::string_view b) {
    if (!a.empty() && !b.empty() && a.front() != b.front()) {
      return static_cast<unsigned char>(a.front()) < static_cast<unsigned char>(b.front());
    }
    return a < b;
  };
  for (size_t i = 1; i < fields.size(); ++i) {
    const OrderedField f = fields[i];
    const std::string_view name = f.field->name;
    size_t j = i;
    while (j > 0 && less(name, fields[j - 1].field->name)) {
      fields[j] = fields[j - 1];
      --j;
    }
    fields[j] = f;
  }
}

}  // namespace gatehouse::http
