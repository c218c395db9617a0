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

int parseStatus(const Json& v, const std::string& path) {
  int code = 0;
  if (v.is_number_integer()) {
    code = v.get<int>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos) {
      throw ProvisionError(path, "a status code from placeholders is not supported yet");
    }
    code = std::stoi(s);
  } else {
    throw ProvisionError(path, "expected a status code");
  }
  if (code < 100 || code > 999) {
    throw ProvisionError(path, "expected a status code from 100 to 999");
  }
  return code;
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

std::vector<StatusReplacement> StatusReplacement::parseAll(const Json& j, const std::string& path) {
  if (!j.is_array()) {
    throw ProvisionError(path, "expected an array");
  }
  std::vector<StatusReplacement> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& e = j[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      throw ProvisionError(p, "expected an object");
    }
    for (const auto& [k, _] : e.items()) {
      if (k == "routes") {
        throw ProvisionError(p + ".routes", "handle_response routes are not supported yet");
      }
      if (k != "match" && k != "status_code") {
        throw ProvisionError(p + "." + k, "'" + k + "' is not supported yet");
      }
    }
    if (!e.contains("status_code")) {
      throw ProvisionError(p, "handle_response without status_code (routes) is not supported yet");
    }
    StatusReplacement r;
    if (e.contains("match")) {
      r.match = ResponseMatcher::parse(e["match"], p + ".match");
    }
    r.status = parseStatus(e["status_code"], p + ".status_code");
    out.push_back(std::move(r));
  }
  return out;
}

int replacedStatus(const std::vector<StatusReplacement>& list, int status,
                   const runtime::HeaderList& headers) {
  for (const auto& r : list) {
    if (!r.match || r.match->matches(status, headers)) {
      return r.status;
    }
  }
  return status;
}

}  // namespace gatehouse::proxy
