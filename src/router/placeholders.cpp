// The placeholder lookup: values handlers set at run time first, then the source each key's
// prefix names (the request, vars, captures, the response, the error, the process, the clock).

#include "router/placeholders.h"

#include <algorithm>
#include <array>
#include <string>

#include "router/error_placeholders.h"
#include "router/proxy_placeholders.h"
#include "router/request_placeholders.h"
#include "router/shutdown_placeholders.h"
#include "router/system_placeholders.h"

namespace gatehouse::router {

using runtime::Exchange;

namespace {

// The capture kept under `prefix` followed by `key`, or null.
const std::string* findCapture(const Exchange& ex, std::string_view prefix, std::string_view key) {
  for (const auto& [name, value] : ex.captures) {
    std::string_view n = name;
    if (n.size() == prefix.size() + key.size() && n.starts_with(prefix) && n.ends_with(key)) {
      return &value;
    }
  }
  return nullptr;
}

bool fromCapture(const std::string* found, std::string& out) {
  if (found != nullptr) {
    out = *found;
  }
  return found != nullptr;
}

bool varsPlaceholder(std::string_view name, const Exchange& ex, std::string& out) {
  const std::string* v = ex.var(name);
  out = v ? *v : std::string();
  if (v == nullptr && name == "start_time") {
    appendGoTimeAt(out, ex.request.start);  // the var Caddy sets on every request
  }
  return true;
}

bool regexpPlaceholder(std::string_view name, const Exchange& ex, std::string& out) {
  return fromCapture(findCapture(ex, {}, name), out);
}

// handle_response's published values first (the upstream's fields, its status line), then
// what the proxy recorded.
bool reverseProxyPlaceholder(std::string_view key, const Exchange& ex, std::string& out) {
  return fromCapture(findCapture(ex, kProxyCapturePrefix, key), out) ||
         upstreamFactPlaceholder(key, ex.upstream, out);
}

bool fileMatcherPlaceholder(std::string_view name, const Exchange& ex, std::string& out) {
  return fromCapture(findCapture(ex, kFileMatcherCapturePrefix, name), out);
}

bool responseHeaderPlaceholder(std::string_view name, const Exchange& ex, std::string& out) {
  out.assign(ex.response.headers.get(name));
  return true;
}

bool envSource(std::string_view name, const Exchange& /*ex*/, std::string& out) {
  return envPlaceholder(name, out);
}

bool systemSource(std::string_view key, const Exchange& /*ex*/, std::string& out) {
  return systemPlaceholder(key, out);
}

bool timeSource(std::string_view key, const Exchange& /*ex*/, std::string& out) {
  return timePlaceholder(key, out);
}

// One family of keys: those starting with `prefix`, read by `read` from what follows it.
struct Source {
  std::string_view prefix;
  bool (*read)(std::string_view rest, const Exchange& ex, std::string& out);
};

}  // namespace

void setPlaceholder(Exchange& ex, std::string_view key, std::string value) {
  std::string name(kSetPlaceholderPrefix);
  name += key;
  ex.setCapture(std::move(name), std::move(value));
}

const std::string* findSetPlaceholder(const Exchange& ex, std::string_view key) {
  return findCapture(ex, kSetPlaceholderPrefix, key);
}

void setNilPlaceholder(Exchange& ex, std::string_view key) {
  setPlaceholder(ex, key, {});
  std::string name(kNilPlaceholderPrefix);
  name += key;
  ex.setCapture(std::move(name), "1");
}

bool placeholderIsNil(std::string_view key, const Exchange& ex) {
  std::string value;
  if (!lookupPlaceholder(key, ex, value)) {
    return true;
  }
  if (key.starts_with("http.vars.") && key != "http.vars.start_time") {
    return ex.var(key.substr(10)) == nullptr;
  }
  if (value.empty() && !ex.captures.empty()) {
    std::string name(kNilPlaceholderPrefix);
    name += key;
    return std::any_of(ex.captures.begin(), ex.captures.end(),
                       [&](const auto& c) { return c.first == name; });
  }
  return false;
}

bool lookupPlaceholder(std::string_view key, const Exchange& ex, std::string& out) {
  if (fromCapture(findSetPlaceholder(ex, key), out)) {
    return true;
  }
  if (shutdownPlaceholder(key, ex, out)) {
    return true;
  }
  // No prefix here begins another, so the order is only the order of the checks.
  constexpr std::array kSources{
      Source{"http.request.", requestPlaceholder},
      Source{"http.vars.", varsPlaceholder},
      Source{"http.regexp.", regexpPlaceholder},
      Source{"http.reverse_proxy.", reverseProxyPlaceholder},
      Source{"http.matchers.file.", fileMatcherPlaceholder},
      Source{"http.response.header.", responseHeaderPlaceholder},
      Source{"http.error", errorPlaceholder},
      Source{"env.", envSource},
      Source{"system.", systemSource},
      Source{"time.", timeSource},
  };
  for (const Source& source : kSources) {
    if (key.starts_with(source.prefix)) {
      return source.read(key.substr(source.prefix.size()), ex, out);
    }
  }
  return false;
}

}  // namespace gatehouse::router
