// Caddy's header operations as the header-family directives build them.
#include "directives/header_ops.h"

#include "directives/handler_util.h"

namespace gatehouse::parser::handler_util {
namespace {

bool startsWith(const std::string& s, char c) {
  return !s.empty() && s.front() == c;
}

// Go's http.Header.Set / Add canonicalise the field name.
void headerSet(std::map<std::string, std::vector<std::string>>& h, const std::string& field,
               const std::string& value) {
  h[canonicalHeaderKey(field)] = {value};
}

void headerAdd(std::map<std::string, std::vector<std::string>>& h, const std::string& field,
               const std::string& value) {
  h[canonicalHeaderKey(field)].push_back(value);
}

std::string trimLeftAny(const std::string& s, const std::string& cutset) {
  size_t i = s.find_first_not_of(cutset);
  return i == std::string::npos ? "" : s.substr(i);
}

// "?field value": set the value only when the response lacks the field.
std::string applyDefault(RespHeaderOps* resp, const std::string& field, const std::string& value) {
  if (resp == nullptr) {
    return field +
           ": the default header modifier ('?') can only be used on response headers; for "
           "conditional manipulation of request headers, use matchers";
  }
  std::string name = field.substr(1);
  if (resp->require.is_null()) {
    resp->require = Json{{"headers", Json::object()}};
  }
  Json& headers = resp->require["headers"];
  putSorted(headers, name, nullptr);
  headerSet(resp->ops.set, name, value);
  return "";
}

}  // namespace

bool HeaderOps::empty() const {
  return add.empty() && set.empty() && del.empty() && replace.empty();
}

Json HeaderOps::toJson() const {
  Json out = Json::object();
  if (!add.empty()) {
    out["add"] = headerJson(add);
  }
  if (!set.empty()) {
    out["set"] = headerJson(set);
  }
  if (!del.empty()) {
    out["delete"] = del;
  }
  if (!replace.empty()) {
    Json r = Json::object();
    for (const auto& [field, reps] : replace) {
      r[field] = reps;
    }
    out["replace"] = r;
  }
  return out;
}

Json RespHeaderOps::toJson() const {
  Json out = ops.toJson();
  if (!require.is_null()) {
    out["require"] = require;
  }
  if (deferred) {
    out["deferred"] = true;
  }
  return out;
}

std::string applyHeaderOp(HeaderOps& ops, RespHeaderOps* resp, std::string field, const std::string& value,
                          const std::optional<std::string>& replacement) {
  if (startsWith(field, '+')) {
    headerAdd(ops.add, field.substr(1), value);
  } else if (startsWith(field, '-')) {
    ops.del.push_back(field.substr(1));
    if (resp != nullptr) {
      resp->deferred = true;
    }
  } else if (startsWith(field, '?')) {
    return applyDefault(resp, field, value);
  } else if (replacement && !replacement->empty()) {  // caddy 2.6.2: an empty one means set
    if (startsWith(field, '>') && resp != nullptr) {
      resp->deferred = true;
    }
    Json rep = Json::object();
    if (!value.empty()) {
      rep["search_regexp"] = value;
    }
    if (!replacement->empty()) {
      rep["replace"] = *replacement;
    }
    ops.replace[trimLeftAny(field, "+-?>")].push_back(rep);
  } else if (startsWith(field, '>')) {
    headerSet(ops.set, field.substr(1), value);
    if (resp != nullptr) {
      resp->deferred = true;
    }
  } else {
    headerSet(ops.set, field, value);
  }
  return "";
}

}  // namespace gatehouse::parser::handler_util
