// Helpers shared by the HTTP handler directives.
#include "directives/handler_util.h"

#include "options/option_util.h"

namespace gatehouse::parser::handler_util {

Json weakString(const std::string& text) {
  if (text == "true") {
    return true;
  }
  if (text == "false") {
    return false;
  }
  if (auto n = options::parseInt(text)) {
    return *n;
  }
  return text;
}

std::optional<bool> parseBool(const std::string& text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" || text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" || text == "False") {
    return false;
  }
  return std::nullopt;
}

Json scalarVal(const Dispenser& d) {
  const Token& tok = d.token();
  if (tok.quoted()) {
    return tok.text;
  }
  if (auto n = options::parseInt(tok.text)) {
    return *n;
  }
  if (auto f = options::parseFloat(tok.text)) {
    return *f;
  }
  if (auto b = parseBool(tok.text)) {
    return *b;
  }
  return tok.text;
}

Json headerJson(const std::map<std::string, std::vector<std::string>>& header) {
  Json out = Json::object();
  for (const auto& [k, v] : header) {
    out[k] = v;
  }
  return out;
}

Json sortedObject(const std::map<std::string, Json>& entries) {
  Json out = Json::object();
  for (const auto& [k, v] : entries) {
    out[k] = v;
  }
  return out;
}

void putSorted(Json& obj, const std::string& key, Json value) {
  std::map<std::string, Json> entries;
  if (obj.is_object()) {
    for (const auto& [k, v] : obj.items()) {
      entries[k] = v;
    }
  }
  entries[key] = std::move(value);
  obj = sortedObject(entries);
}

bool args(Dispenser& d, std::string& out) {
  if (!d.nextArg()) {
    return false;
  }
  out = d.val();
  return true;
}

bool allArgs(Dispenser& d, std::string& out) {
  if (!args(d, out)) {
    return false;
  }
  if (d.nextArg()) {
    d.prev();
    return false;
  }
  return true;
}

void refuseBlock(Dispenser& d) {
  if (d.next() && d.val() == "{") {
    throw d.argErr();
  }
}

std::string moduleNotRegistered(const std::string& moduleId) {
  return "module not registered: " + moduleId;
}

}  // namespace gatehouse::parser::handler_util
