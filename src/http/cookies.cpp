#include "http/cookies.h"

#include <cctype>

namespace gatehouse::http {

namespace {

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Go's parseCookieValue: optional surrounding quotes, then only cookie-octets.
std::optional<std::string_view> cookieValue(std::string_view v) {
  if (v.size() > 1 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
  }
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == ';' || c == '\\') {
      return std::nullopt;
    }
  }
  return v;
}

// Go's textproto.TrimString: ASCII white space.
std::string_view trimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// Go's isCookieNameValid: a non-empty token.
bool tokenName(std::string_view name) {
  static constexpr std::string_view kMarks = "!#$%&'*+-.^_`|~";
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && kMarks.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return !name.empty();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> requestCookies(const runtime::HeaderList& headers,
                                                                std::string_view only) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : headers) {
    if (!runtime::equalsIgnoreCase(f.name, "Cookie")) {
      continue;
    }
    std::string_view rest = trimAscii(f.value);
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view part = trimAscii(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = part.find('=');
      const std::string_view name = part.substr(0, eq);
      if (part.empty() || !tokenName(name) || (!only.empty() && name != only)) {
        continue;
      }
      if (auto value = cookieValue(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1))) {
        out.emplace_back(std::string(name), std::string(*value));
      }
    }
  }
  return out;
}

std::optional<std::string> requestCookieFold(const runtime::HeaderList& headers, std::string_view name) {
  for (const auto& f : headers) {
    if (!runtime::equalsIgnoreCase(f.name, "Cookie")) {
      continue;
    }
    std::string_view rest = f.value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view part = trimSpaces(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = part.find('=');
      const std::string_view key = trimSpaces(part.substr(0, eq));
      if (key.empty() || !runtime::equalsIgnoreCase(key, name)) {
        continue;
      }
      auto value = cookieValue(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
      if (value) {
        return std::string(*value);
      }
    }
  }
  return std::nullopt;
}

}  // namespace gatehouse::http
