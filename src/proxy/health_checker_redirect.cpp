#include "proxy/health_checker_redirect.h"

namespace gatehouse::proxy {

namespace {

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

// The directory of a path ("/a/b" -> "/a/"), for a relative reference.
std::string directoryOf(const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "/" : path.substr(0, slash + 1);
}

}  // namespace

bool isFollowedRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::optional<HealthRequest> followRedirect(const HealthRequest& current, int status,
                                            std::string_view location, bool tls, std::string& why) {
  HealthRequest next = current;
  if (next.urlHost.empty()) {
    next.urlHost = current.host;
  }
  // Go's client refers to the last URL (an https -> http hop, which sends none, is not
  // followed here).
  next.referer = std::string(tls ? "https://" : "http://") + next.urlHost + current.target;
  if (status == 301 || status == 302 || status == 303) {
    if (current.method != "GET" && current.method != "HEAD") {
      next.method = "GET";
    }
    next.withBody = false;
  }
  std::string_view loc = location.substr(0, location.find('#'));
  const bool http = startsWithNoCase(loc, "http://");
  const bool https = startsWithNoCase(loc, "https://");
  if (http || https || loc.starts_with("//")) {
    if ((http && tls) || (https && !tls)) {
      why = "redirect to another scheme is not followed: " + std::string(location);
      return std::nullopt;
    }
    const std::string_view rest = loc.substr(loc.find("//") + 2);
    const size_t end = rest.find_first_of("/?");
    const std::string_view host = rest.substr(0, end);
    if (host.empty() || host.find_first_of(" \t\r\n@") != std::string_view::npos) {
      why = "malformed redirect location: " + std::string(location);
      return std::nullopt;
    }
    next.host = std::string(host);
    next.urlHost = next.host;
    next.customHost = false;  // an absolute Location names the host (Go drops a custom one)
    const std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
    next.target = target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  } else if (loc.starts_with("/")) {
    next.target = std::string(loc);
  } else if (loc.starts_with("?")) {
    next.target = current.target.substr(0, current.target.find('?')) + std::string(loc);
  } else if (!loc.empty()) {
    next.target = directoryOf(current.target) + std::string(loc);
  } else {
    why = "redirect without a location";
    return std::nullopt;
  }
  if (next.target.find_first_of(" \t\r\n") != std::string::npos) {
    why = "malformed redirect location: " + std::string(location);
    return std::nullopt;
  }
  return next;
}

}  // namespace gatehouse::proxy
