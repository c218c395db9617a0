// ActiveHealth::parse: an active health check block of Caddy's JSON (reverse_proxy
// health_checks.active) as the checker runs it.
#include <algorithm>

#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "proxy/health_checker.h"

namespace gatehouse::proxy {

using config::Json;
using provision::ProvisionError;

namespace {

// Caddy takes a zero interval or timeout as its default (30 s, 5 s) and waits a positive one
// as given; our timers count milliseconds, so one below a millisecond waits one. A negative
// one is noted in `negative`: caddy 2.6.2 ignores the block when no check is enabled, and
// otherwise stops (Go's ticker panics on a negative interval) or fails every check.
std::chrono::milliseconds healthDuration(const Json& value, const std::string& path,
                                         std::chrono::milliseconds fallback, std::string& negative) {
  const auto d = provision::parseDuration(value, path);
  switch (provision::durationSign(value)) {
    case 0:
      return fallback;
    case 1:
      return std::max(d, std::chrono::milliseconds(1));
    default:
      negative = path;
      return fallback;
  }
}

// Caddy's int fields: Go's JSON decoding refuses a number with a fraction or an exponent
// past int64 there. nlohmann's get<int>() of a double is a plain cast, undefined out of
// range (UBSan float-cast-overflow on expect_status 1e300).
const Json& integer(const Json& value, const std::string& path) {
  if (!value.is_number_integer()) {
    throw ProvisionError(path, "expected an integer");
  }
  return value;
}

}  // namespace

ActiveHealth ActiveHealth::parse(const Json& j, const std::string& path) {
  ActiveHealth h;
  std::string negative;  // the path of a negative interval or timeout
  if (!j.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [k, v] : j.items()) {
    const std::string p = path + "." + k;
    if (k == "uri" || k == "path") {
      if (v.get<std::string>().empty()) {
        continue;  // not set
      }
      h.uri = v.get<std::string>();
      h.enabled = true;
      if (h.uri.front() != '/') {
        throw ProvisionError(p, "expected a path starting with /");
      }
    } else if (k == "port") {
      const int port = integer(v, p).get<int>();
      if (port <= 0 || port > 65535) {
        throw ProvisionError(p, "invalid port");
      }
      h.port = static_cast<uint16_t>(port);
      h.enabled = true;
    } else if (k == "method") {
      h.method = v.get<std::string>();
    } else if (k == "headers") {
      for (const auto& [name, vals] : v.items()) {
        for (const auto& val : vals) {
          h.headers.add(name, val.get<std::string>());
        }
      }
    } else if (k == "interval") {
      h.interval = healthDuration(v, p, h.interval, negative);
    } else if (k == "timeout") {
      h.timeout = healthDuration(v, p, h.timeout, negative);
    } else if (k == "expect_status") {
      h.expectStatus = integer(v, p).get<int>();
    } else if (k == "expect_body") {
      h.expectBody = std::make_shared<re2::RE2>(v.get<std::string>(), re2::RE2::Quiet);
      if (!h.expectBody->ok()) {
        throw ProvisionError(p, "invalid regexp: " + h.expectBody->error());
      }
    } else if (k == "body") {
      h.body = v.get<std::string>();  // newer Caddy's health_request_body
    } else if (k == "follow_redirects") {
      if (!v.is_boolean()) {
        throw ProvisionError(p, "expected true or false");
      }
      h.followRedirects = v.get<bool>();
    } else if (k == "max_size") {
      const int64_t n = integer(v, p).get<int64_t>();
      if (n > 0) {  // 0 or less: Caddy's "no limit", ours stays 1 MiB
        h.maxSize = static_cast<size_t>(n);
      }
    } else if (k == "passes" || k == "fails") {
      const int n = integer(v, p).get<int>();
      if (n < 1) {
        throw ProvisionError(p, "must be at least 1");
      }
      (k == "passes" ? h.passes : h.fails) = static_cast<uint32_t>(n);
    } else {
      throw ProvisionError(p, "active health check option '" + k + "' is not supported yet");
    }
  }
  if (h.enabled && !negative.empty()) {
    throw ProvisionError(negative, "must not be negative");
  }
  return h;
}

}  // namespace gatehouse::proxy
