// reverse_proxy header manipulation: header_up (towards the upstream) and header_down
// (towards the client), with Caddy's +add, -delete and regex-replace forms.

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {

void applyHeaderOp(const Dispenser& d, Json& ops, const std::string& field, const std::string& value,
                   const std::string* replacement) {
  auto append = [](Json& header, const std::string& key, const std::string& v) {
    if (!header.contains(key)) {
      header[key] = Json::array();
    }
    header[key].push_back(v);
  };
  if (!field.empty() && field[0] == '+') {
    append(child(ops, "add"), canonicalHeaderKey(field.substr(1)), value);
  } else if (!field.empty() && field[0] == '-') {
    if (!ops.contains("delete")) {
      ops["delete"] = Json::array();
    }
    ops["delete"].push_back(field.substr(1));
  } else if (!field.empty() && field[0] == '?') {
    // only the `header` directive's response operations can be conditional
    throw d.err(field +
                ": the default header modifier ('?') can only be used on response headers; for "
                "conditional manipulation of request headers, use matchers");
  } else if (replacement != nullptr && !replacement->empty()) {  // caddy 2.6.2: empty means set
    std::string key = field.substr(std::min(field.find_first_not_of("+-?>"), field.size()));
    Json& replace = child(ops, "replace");
    if (!replace.contains(key)) {
      replace[key] = Json::array();
    }
    Json r = Json::object();
    setOrOmit(r, "search_regexp", value);
    setOrOmit(r, "replace", *replacement);
    replace[key].push_back(r);
  } else {
    std::string key = canonicalHeaderKey(!field.empty() && field[0] == '>' ? field.substr(1) : field);
    child(ops, "set")[key] = Json::array({value});
  }
}

namespace {
// A header_up that sets what the proxy sends anyway: Caddy warns about exactly these
// field/value pairs (either placeholder spelling), so that users can drop them.
void warnIfDefault(const std::string& field, const std::string& value, ProxyHandler& rp) {
  struct Default {
    std::string_view field;
    std::string_view shorthand;
    std::string_view placeholder;
  };
  static constexpr Default kDefaults[] = {
      {"Host", "{hostport}", "{http.request.hostport}"},
      {"X-Forwarded-For", "{remote_host}", "{http.request.remote.host}"},
      {"X-Forwarded-Proto", "{scheme}", "{http.request.scheme}"},
      {"X-Forwarded-Host", "{host}", "{http.request.host}"},
  };
  for (const auto& d : kDefaults) {
    if (canonicalHeaderKey(field) == d.field && (value == d.shorthand || value == d.placeholder)) {
      rp.warnings.push_back("Unnecessary header_up " + std::string(d.field) +
                            ": the reverse proxy's default behavior is to pass headers to the upstream");
    }
  }
}
}  // namespace

// header_up   [+|-]<field> [<value|regexp> [<replacement>]]
// header_down [+|-]<field> [<value|regexp> [<replacement>]]
bool parseHeaderSubdirective(Dispenser& d, ProxyHandler& rp) {
  const std::string sub = d.val();
  if (sub != "header_up" && sub != "header_down") {
    return false;
  }
  Json& headers = child(rp.fields, "headers");
  Json& ops = child(headers, sub == "header_up" ? "request" : "response");
  auto args = d.remainingArgs();
  switch (args.size()) {
    case 1:
      applyHeaderOp(d, ops, args[0], "", nullptr);
      break;
    case 2:
      if (sub == "header_up") {
        warnIfDefault(args[0], args[1], rp);
      }
      applyHeaderOp(d, ops, args[0], args[1], nullptr);
      break;
    case 3:
      applyHeaderOp(d, ops, args[0], args[1], &args[2]);
      break;
    default:
      throw d.argErr();
  }
  return true;
}

}  // namespace gatehouse::parser::proxy
