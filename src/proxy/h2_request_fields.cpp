#include "proxy/h2_request_fields.h"

#include <string>

namespace gatehouse::proxy {

namespace {

bool connectionSpecific(std::string_view lower, std::string_view value) {
  return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
         lower == "transfer-encoding" || lower == "upgrade" || lower == "host" || lower == "content-length" ||
         (lower == "te" && !runtime::equalsIgnoreCase(value, "trailers"));
}

// Go's http2 encodeHeaders: a field per ';'-separated piece (spaces after ';' dropped),
// the last piece only when not empty.
void appendCookiePairs(std::string_view value, runtime::HeaderList& out) {
  for (size_t semi = value.find(';'); semi != std::string_view::npos; semi = value.find(';')) {
    out.emplaceBack("cookie", std::string(value.substr(0, semi)));
    size_t next = semi + 1;
    while (next < value.size() && value[next] == ' ') {
      ++next;
    }
    value.remove_prefix(next);
  }
  if (!value.empty()) {
    out.emplaceBack("cookie", std::string(value));
  }
}

}  // namespace

void appendH2Fields(const runtime::HeaderList& fields, runtime::HeaderList& out) {
  bool userAgentSeen = false;
  for (const auto& f : fields) {
    std::string name = f.name;
    for (char& c : name) {
      c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;  // ASCII only: field names are tokens
    }
    if (name == "user-agent") {
      // As Go's HTTP/2 transport (and its HTTP/1 Request.write): the first only, none if empty.
      const bool first = !userAgentSeen;
      userAgentSeen = true;
      if (!first || f.value.empty()) {
        continue;
      }
    }
    if (name == "cookie") {
      appendCookiePairs(f.value, out);
      continue;
    }
    if (!connectionSpecific(name, f.value)) {
      out.emplaceBack(std::move(name), f.value);
    }
  }
}

}  // namespace gatehouse::proxy
