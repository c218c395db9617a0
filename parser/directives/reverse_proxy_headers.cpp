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
  } else if (replacement != nullptr) {
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
