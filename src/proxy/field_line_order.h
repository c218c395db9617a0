#pragma once
// Go's Header.Write order for the upstream request head: Go keeps a request's fields in a
// map and writes them sorted by (canonical) name, each name's values in arrival order,
// after Host, User-Agent and the framing fields. The proxy writes the fields in the
// client's order first (one pass, no copy of the field list) and then sorts those lines
// in place, so that an HTTP/1.1 upstream gets byte for byte what caddy 2.6.2 sends.

#include <cstddef>
#include <string>

namespace gatehouse::proxy {

// Sorts the "Name: value\r\n" lines of head[from, end) by name, bytewise and stable.
// The lines must be well formed (each has ':' and ends in CRLF), as the proxy writes them.
// Up to 64 lines of at most 2 KiB in all need no allocation.
void sortFieldLines(std::string& head, size_t from);

}  // namespace gatehouse::proxy
