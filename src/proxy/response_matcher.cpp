#include "proxy/response_matcher.h"

#include "provision/provision_error.h"

namespace gatehouse::proxy {

using config::Json;
using provision::ProvisionError;
using runtime::equalsIgnoreCase;

namespace {

// Caddy's caddyhttp.StatusCodeMatches.
bool statusCodeMatches(int actual, int configured) {
  return actual == configured ||
         (configured < 100 && actual >= configured * 100 && actual < (configured + 1) * 100);
}

// The value patterns of Caddy's header matcher: "*", "*sub*", "*suffix", "prefix*", exact.
bool valueMatches(std::string_view allowed, std::string_view actual) {
  if (allowed == "*") {
    return true;
  }
  const bool pre = !allowed.empty() && allowed.front() == '*';
  const bool suf = allowed.size() > 1 && allowed.back() == '*';
  if (pre && suf) {
    return actual.find(allowed.substr(1, allowed.size() - 2)) != std::string_view::npos;
  }
  if (pre) {
    return actual.ends_with(allowed.substr(1));
  }
  if (suf) {
    return actual.starts_with(allowed.substr(0, allowed.size() - 1));
  }
  return actual == allowed;
}

}  // namespace

ResponseMatcher ResponseMatcher::parse(const Json& j, const std::string& path) {
  if (!j.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  ResponseMatcher m;
  for (const auto& [k, v] : j.items()) {
    const std::string p = path + "." + k;
    if (k == "status_code") {
      if (!v.is_array()) {
        throw ProvisionError(p, "expected an array of status codes");
      }
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_number_integer() || v[i].get<int>() < 1 || v[i].get<int>() > 999) {
          throw ProvisionError(p + "[" + std::to_string(i) + "]", "expected a status code or class (1-5)");
        }
        m.statusCodes_.push_back(v[i].get<int>());
      }
    } else if (k == "headers") {
      if (!v.is_object()) {
        throw ProvisionError(p, "expected an object of string arrays");
      }
      for (const auto& [name, vals] : v.items()) {
        Field f{name, std::nullopt};
        if (!vals.is_null()) {
          if (!vals.is_array()) {
            throw ProvisionError(p + "." + name, "expected an array of strings");
          }
          f.values.emplace();
          for (const auto& s : vals) {
            if (!s.is_string()) {
              throw ProvisionError(p + "." + name, "expected an array of strings");
            }
            f.values->push_back(s.get<std::string>());
          }
        }
        m.fields_.push_back(std::move(f));
      }
    } else {
      throw ProvisionError(p, "response matcher field '" + k + "' is not supported yet");
    }
  }
  return m;
}

bool ResponseMatcher::matches(int status, const runtime::HeaderList& headers) const {
  if (!statusCodes_.empty()) {
    bool any = false;
    for (int c : statusCodes_) {
      any = any || statusCodeMatches(status, c);
    }
    if (!any) {
      return false;
    }
  }
  for (const auto& f : fields_) {
    bool present = false;
    bool ok = false;
    for (const auto& h : headers) {
      if (!equalsIgnoreCase(h.name, f.name)) {
        continue;
      }
      present = true;
      for (size_t i = 0; f.values && !ok && i < f.values->size(); ++i) {
        ok = valueMatches((*f.values)[i], h.value);
      }
    }
    if (!f.values) {
      ok = !present;  // Caddy: a null list matches when the field is absent
    } else if (f.values->empty()) {
      ok = present;  // an empty list: the field exists at all
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace gatehouse::proxy
