#include "http/http_types.h"

#include <strings.h>

namespace gatehouse::acme {

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0)
      return v;
  }
  return {};
}

namespace {
std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

// One link-value: "<target>; rel=\"up\"; ..." -> target when a rel token matches.
bool linkMatches(std::string_view value, std::string_view rel, std::string& target) {
  const auto open = value.find('<');
  const auto close = value.find('>', open);
  if (open == std::string_view::npos || close == std::string_view::npos)
    return false;
  std::string_view params = value.substr(close + 1);
  while (!params.empty()) {
    const auto semi = params.find(';');
    std::string param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.rfind("rel=", 0) != 0)
      continue;
    std::string rels = param.substr(4);
    if (rels.size() >= 2 && rels.front() == '"' && rels.back() == '"')
      rels = rels.substr(1, rels.size() - 2);
    // rel may hold several space-separated relation types.
    size_t pos = 0;
    while (pos <= rels.size()) {
      const auto sp = rels.find(' ', pos);
      if (rels.substr(pos, sp - pos) == rel) {
        target = std::string(value.substr(open + 1, close - open - 1));
        return true;
      }
      if (sp == std::string::npos)
        break;
      pos = sp + 1;
    }
  }
  return false;
}
}  // namespace

std::vector<std::string> HttpResponse::links(std::string_view rel) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), "link") != 0)
      continue;
    // Several link-values may share one header line, separated by commas outside <...>.
    size_t start = 0;
    bool inTarget = false;
    for (size_t i = 0; i <= v.size(); ++i) {
      if (i < v.size() && v[i] == '<')
        inTarget = true;
      if (i < v.size() && v[i] == '>')
        inTarget = false;
      if (i == v.size() || (v[i] == ',' && !inTarget)) {
        std::string target;
        if (linkMatches(std::string_view(v).substr(start, i - start), rel, target))
          out.push_back(target);
        start = i + 1;
      }
    }
  }
  return out;
}

}  // namespace gatehouse::acme
