#include "admin/admin_guard.h"

#include <algorithm>
#include <cctype>

namespace gatehouse::admin {

namespace {

std::string joinHostPort(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool schemeChars(std::string_view s) {
  return !s.empty() && std::isalpha(static_cast<unsigned char>(s.front())) != 0 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
         });
}

}  // namespace

AdminGuard::Origin AdminGuard::parse(std::string_view text) {
  Origin o;
  std::string_view rest = text;
  if (const size_t colon = rest.find("://");
      colon != std::string_view::npos && schemeChars(rest.substr(0, colon))) {
    o.scheme = std::string(rest.substr(0, colon));
    std::transform(o.scheme.begin(), o.scheme.end(), o.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    rest.remove_prefix(colon + 1);
  }
  if (!rest.starts_with("//")) {
    return o;  // a path only: no host
  }
  rest.remove_prefix(2);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  o.host = std::string(rest);
  return o;
}

AdminGuard::AdminGuard(const AdminAccess& access, const std::string& host, int port)
    : enforceOrigin_(access.enforceOrigin) {
  std::vector<std::string> texts;
  if (access.origins) {
    texts = *access.origins;
  } else {
    // The endpoint only ever listens on loopback, so the loopback names always join.
    texts = {joinHostPort("localhost", port), joinHostPort("::1", port), joinHostPort("127.0.0.1", port),
             joinHostPort(host, port)};
  }
  for (const auto& t : texts) {
    add(t);
  }
}

AdminGuard AdminGuard::forUnixSocket(const AdminAccess& access) {
  AdminGuard g;
  g.enforceOrigin_ = access.enforceOrigin;
  if (access.origins) {
    for (const auto& t : *access.origins) {
      g.add(t);
    }
  } else {
    g.allowed_.push_back(Origin{});  // the empty host; Caddy lists it as ""
  }
  return g;
}

void AdminGuard::add(const std::string& text) {
  Origin o = parse(text.find("://") == std::string::npos ? "//" + text : text);
  const bool seen = std::any_of(allowed_.begin(), allowed_.end(),
                                [&](const Origin& a) { return a.scheme == o.scheme && a.host == o.host; });
  if (!seen) {
    allowed_.push_back(std::move(o));
  }
}

std::vector<std::string> AdminGuard::allowed() const {
  std::vector<std::string> out;
  for (const auto& a : allowed_) {
    if (a.scheme.empty() && a.host.empty()) {
      out.emplace_back();  // the unix socket's empty Host
      continue;
    }
    out.push_back((a.scheme.empty() ? "" : a.scheme + ":") + "//" + a.host);
  }
  return out;
}

std::optional<std::string> AdminGuard::checkHost(std::string_view host) const {
  if (std::any_of(allowed_.begin(), allowed_.end(), [&](const Origin& a) { return a.host == host; })) {
    return std::nullopt;
  }
  return "host not allowed: " + std::string(host);
}

std::optional<std::string> AdminGuard::checkOrigin(std::string_view origin, std::string_view referer,
                                                   std::string& allowOrigin) const {
  const std::string_view text = origin.empty() ? referer : origin;
  const Origin given = parse(text);
  for (const auto& a : allowed_) {
    if (!a.scheme.empty() && given.scheme != a.scheme) {
      continue;
    }
    if (!given.host.empty() && given.host == a.host) {
      allowOrigin = (given.scheme.empty() ? "" : given.scheme + ":") + "//" + given.host;
      return std::nullopt;
    }
  }
  return "client is not allowed to access from origin '" + std::string(text) + "'";
}

}  // namespace gatehouse::admin
