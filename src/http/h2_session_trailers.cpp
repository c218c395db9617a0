// Trailer fields after a streamed response body (a proxied upstream's), as a HEADERS frame
// that ends the stream: names in lower case, connection-specific ones left out.
#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

#include "gatehouse/runtime/trailer_source.h"
#include "http/h2_stream.h"
#include "http/http2_session.h"

namespace gatehouse::http {

namespace {

bool connectionSpecific(const std::string& lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
         lower == "transfer-encoding" || lower == "upgrade" || lower == "te" || lower == "content-length";
}

}  // namespace

bool Http2Session::submitTrailers(H2Stream& s) {
  const runtime::HeaderList* fields = runtime::trailersOf(s.ex.response.stream.get());
  if (fields == nullptr) {
    return false;
  }
  std::vector<std::string> names;
  std::vector<const std::string*> values;
  names.reserve(fields->size());
  for (const auto& f : *fields) {
    std::string lower(f.name);
    for (char& c : lower) {
      c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (!lower.empty() && !connectionSpecific(lower)) {
      names.push_back(std::move(lower));
      values.push_back(&f.value);
    }
  }
  if (names.empty()) {
    return false;
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    auto* name = reinterpret_cast<uint8_t*>(names[i].data());
    auto* value = reinterpret_cast<uint8_t*>(const_cast<char*>(values[i]->data()));
    nva.push_back(nghttp2_nv{name, value, names[i].size(), values[i]->size(), NGHTTP2_NV_FLAG_NONE});
  }
  // nghttp2 copies the fields (no NO_COPY flags).
  return nghttp2_submit_trailer(session_.get(), s.id, nva.data(), nva.size()) == 0;
}

}  // namespace gatehouse::http
