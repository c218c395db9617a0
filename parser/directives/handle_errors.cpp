// handle_errors [<status_codes...>] {
//     <directives...>
// }
// Status codes may be exact (404) or classes (5xx); the block's routes then only run for
// those errors.
#include <cctype>

#include "directives/builtins.h"

namespace gatehouse::parser::directives {
namespace {

bool isInteger(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i >= s.size()) {
    return false;
  }
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::string atoiError(const std::string& s) {
  return "strconv.Atoi: parsing \"" + s + "\": invalid syntax";
}

// The expression matching the listed codes, or "" when none were given.
std::string statusExpression(Helper& h, const std::vector<std::string>& args) {
  std::string expr;
  std::vector<std::string> codes;
  for (const auto& val : args) {
    if (val.size() != 3) {
      throw h.err("bad status value '" + val + "'");
    }
    if (val.compare(1, 2, "xx") == 0) {
      const std::string cls = val.substr(0, 1);
      if (!isInteger(cls)) {
        throw h.err("bad status value '" + cls + "': " + atoiError(cls));
      }
      if (!expr.empty()) {
        expr += " || ";
      }
      expr += "{http.error.status_code} >= " + cls + "00 && {http.error.status_code} <= " + cls + "99";
      continue;
    }
    if (!isInteger(val)) {
      throw h.err("bad status value '" + val + "': " + atoiError(val));
    }
    codes.push_back(val);
  }
  if (!codes.empty()) {
    if (!expr.empty()) {
      expr += " || ";
    }
    expr += "{http.error.status_code} in [";
    for (size_t i = 0; i < codes.size(); ++i) {
      expr += (i ? ", " : "") + codes[i];
    }
    expr += "]";
  }
  return expr;
}

}  // namespace

std::vector<ConfigValue> parseHandleErrors(Helper& h) {
  h.next();  // the directive name
  const std::vector<std::string> args = h.remainingArgs();
  const std::string expr = statusExpression(h, args);
  // parseSegmentAsSubroute expects the cursor just before the directive name, and takes no
  // arguments on its first line: drop the codes from a fresh copy of the tokens
  Dispenser rest(std::vector<Token>{});
  {
    std::vector<Token> toks = h.tokens();
    toks.erase(toks.begin() + 1, toks.begin() + 1 + static_cast<long>(args.size()));
    rest = Dispenser(std::move(toks));
  }
  Helper sub = h.withDispenser(std::move(rest));
  // the whole block becomes one route, matched on the status codes when given
  config::Route wrapped;
  if (!expr.empty()) {
    wrapped.match = {Json{{"expression", expr}}};
  }
  wrapped.handle.push_back(sub.parseSegmentAsSubroute());
  config::Route holder;
  holder.handle.push_back(config::Handler::subroute({std::move(wrapped)}));
  return single(ConfigValue{"error_route", std::move(holder), ""});
}

}  // namespace gatehouse::parser::directives
