#include "proxy/response_routes.h"

#include <algorithm>
#include <stdexcept>

#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

using config::Json;
using provision::ProvisionError;

namespace {

int parseStatus(const Json& v, const std::string& path) {
  int code = 0;
  if (v.is_number_integer()) {
    code = v.get<int>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos) {
      throw ProvisionError(path, "expected a status code or placeholders");
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

std::vector<ResponseHandler> ResponseHandler::parseAll(const Json& j, const std::string& path,
                                                       const handlers::RouteCompiler& compile) {
  if (!j.is_array()) {
    throw ProvisionError(path, "expected an array");
  }
  std::vector<ResponseHandler> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& e = j[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      throw ProvisionError(p, "expected an object");
    }
    for (const auto& [k, _] : e.items()) {
      if (k != "match" && k != "status_code" && k != "routes") {
        throw ProvisionError(p + "." + k, "'" + k + "' is not supported yet");
      }
    }
    ResponseHandler r;
    if (e.contains("match")) {
      r.match = ResponseMatcher::parse(e["match"], p + ".match");
    }
    if (e.contains("status_code")) {
      // As Caddy: a status code wins and the routes are not used.
      const Json& sc = e["status_code"];
      if (sc.is_string() && sc.get<std::string>().find('{') != std::string::npos) {
        r.statusTemplate = std::make_shared<const router::Template>(sc.get<std::string>());
      } else {
        r.status = parseStatus(sc, p + ".status_code");
      }
    } else {
      std::vector<config::Route> routes;
      const Json& rs = e.contains("routes") ? e["routes"] : Json::array();
      if (!rs.is_array()) {
        throw ProvisionError(p + ".routes", "expected an array of routes");
      }
      for (size_t k = 0; k < rs.size(); ++k) {
        const std::string rp = p + ".routes[" + std::to_string(k) + "]";
        try {
          routes.push_back(config::routeFromJson(rs[k], rp));
        } catch (const std::invalid_argument& err) {
          throw ProvisionError(rp, err.what());
        }
      }
      r.routes = std::make_unique<router::RouteList>(compile(routes, p + ".routes"));
    }
    out.push_back(std::move(r));
  }
  return out;
}

int ResponseHandler::statusFor(const runtime::Exchange& ex, int upstream, std::string& error) const {
  if (!statusTemplate) {
    return status;
  }
  const std::string text = statusTemplate->render(ex);
  // Go's strconv.Atoi: an optional sign and digits only.
  const size_t digits = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
  if (text.size() == digits || text.size() > digits + 9 ||
      text.find_first_not_of("0123456789", digits) != std::string::npos) {
    error = "strconv.Atoi: parsing \"" + text + "\": invalid syntax";
    return -1;
  }
  const long code = std::stol(text);
  if (code == 0) {
    return upstream;
  }
  if (code < 100 || code > 999) {
    error = "invalid status code " + text;  // Go's WriteHeader would panic on it
    return -1;
  }
  return static_cast<int>(code);
}

const ResponseHandler* firstMatching(const std::vector<ResponseHandler>& list, int status,
                                     const runtime::HeaderList& headers) {
  for (const auto& r : list) {
    if (!r.match || r.match->matches(status, headers)) {
      return &r;
    }
  }
  return nullptr;
}

HeldResponse* heldResponse(runtime::Exchange& ex) {
  return dynamic_cast<HeldResponse*>(ex.pending.get());
}

void publishResponse(runtime::Exchange& ex, int status, std::string_view reason,
                     const runtime::HeaderList& headers) {
  const std::string prefix = std::string(router::kProxyCapturePrefix);
  // Go's http.Header is a map of canonical names: repeated fields join with ",".
  std::vector<std::pair<std::string, std::string>> joined;
  for (const auto& f : headers) {
    std::string name = runtime::canonicalHeaderName(f.name);
    auto it = std::find_if(joined.begin(), joined.end(), [&](const auto& p) { return p.first == name; });
    if (it == joined.end()) {
      joined.emplace_back(std::move(name), f.value);
    } else {
      it->second.append(",").append(f.value);
    }
  }
  for (auto& [name, value] : joined) {
    ex.setCapture(prefix + "header." + name, std::move(value));
  }
  ex.setCapture(prefix + "status_code", std::to_string(status));
  // Go's Response.Status: "200 OK".
  ex.setCapture(prefix + "status_text", std::to_string(status) + " " + std::string(reason));
}

}  // namespace gatehouse::proxy
