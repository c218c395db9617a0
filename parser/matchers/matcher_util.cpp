// Helpers shared by the matcher module parsers.

#include <map>
#include <string_view>

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {
bool takeArgs(Dispenser& d, std::vector<std::string*> targets) {
  for (std::string* target : targets) {
    if (!d.nextArg()) {
      return false;
    }
    *target = d.val();
  }
  return true;
}

void appendStrings(Json& list, const std::vector<std::string>& items) {
  if (!list.is_array()) {
    list = Json::array();
  }
  for (const auto& item : items) {
    list.push_back(item);
  }
}

void sortKeys(Json& object) {
  if (!object.is_object()) {
    return;
  }
  // std::map orders std::string keys bytewise, as Go's encoder orders map keys.
  std::map<std::string, Json> sorted;
  for (auto& [key, val] : object.items()) {
    sorted.emplace(key, std::move(val));
  }
  Json out = Json::object();
  for (auto& [key, val] : sorted) {
    out[key] = std::move(val);
  }
  object = std::move(out);
}

Json regexpJson(const std::string& name, const std::string& pattern) {
  Json out = Json::object();
  if (!name.empty()) {
    out["name"] = name;
  }
  out["pattern"] = pattern;
  return out;
}

std::string rawText(const Token& token) {
  if (token.quote == 0) {
    return token.text;
  }
  // Caddy wraps the text in the quote character it was read with, even a heredoc's '<'.
  return std::string(1, token.quote) + token.text + std::string(1, token.quote);
}

RegexpArgs readRegexpArgs(Dispenser& d, const MatcherContext& ctx) {
  std::string first;
  std::string second;
  if (!takeArgs(d, {&first, &second})) {
    throw d.argErr();
  }
  std::string third;
  if (takeArgs(d, {&third})) {
    return {first.empty() ? ctx.name : first, second, third};
  }
  return {ctx.name, first, second};
}

}  // namespace gatehouse::parser::matchers
