#include "handlers/link_header.h"

namespace gatehouse::handlers {

namespace {
std::string_view trimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}
}  // namespace

std::vector<LinkEntry> parseLinkField(std::string_view value) {
  std::vector<LinkEntry> out;
  size_t start = 0;
  while (start <= value.size() && !value.empty()) {
    const size_t comma = value.find(',', start);
    const std::string_view link =
        value.substr(start, comma == std::string_view::npos ? value.npos : comma - start);
    start = comma == std::string_view::npos ? value.size() + 1 : comma + 1;
    const size_t lt = link.find('<');
    const size_t gt = link.find('>');
    if (lt == std::string_view::npos || gt == std::string_view::npos || gt < lt) {
      continue;  // (Caddy 2.6.2 would panic on '>' before '<'; such an entry is skipped)
    }
    LinkEntry entry{std::string(trimSpace(link.substr(lt + 1, gt - lt - 1))), false};
    std::string_view params = trimSpace(link.substr(gt + 1));
    size_t p = 0;
    while (p <= params.size()) {
      const size_t semi = params.find(';', p);
      const std::string_view param =
          params.substr(p, semi == std::string_view::npos ? params.npos : semi - p);
      p = semi == std::string_view::npos ? params.size() + 1 : semi + 1;
      const std::string_view key = trimSpace(param.substr(0, param.find('=')));
      entry.noPush = entry.noPush || key == "nopush";
    }
    out.push_back(std::move(entry));
  }
  return out;
}

bool isRemoteResource(std::string_view uri) {
  return uri.starts_with("//") || uri.starts_with("http://") || uri.starts_with("https://");
}

}  // namespace gatehouse::handlers
