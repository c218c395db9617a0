#include "router/matchers.h"

#include "provision/provision_error.h"
#include "router/cel/expression_matcher.h"
#include "router/matcher_factories.h"

// The matcher families live in request_matchers.cpp, header_query_matchers.cpp and
// context_matchers.cpp; this file holds the dispatch table and the shared helpers.

namespace gatehouse::router {

using config::Json;
using provision::ProvisionError;
using runtime::Exchange;
using runtime::Matcher;

namespace detail {

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return out;
}

std::vector<std::string> stringList(const Json& j, const std::string& path) {
  if (!j.is_array()) {
    throw ProvisionError(path, "expected an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) {
      throw ProvisionError(path, "expected an array of strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace detail

std::unique_ptr<Matcher> compileMatcher(const std::string& name, const Json& value, const std::string& path) {
  if (name == "host") {
    return makeHostMatcher(value, path);
  }
  if (name == "path") {
    return makePathMatcher(value, path);
  }
  if (name == "path_regexp") {
    return makePathRegexpMatcher(value, path);
  }
  if (name == "method") {
    return makeMethodMatcher(value, path);
  }
  if (name == "header") {
    return makeHeaderMatcher(value, path);
  }
  if (name == "header_regexp") {
    return makeHeaderRegexpMatcher(value, path);
  }
  if (name == "query") {
    return makeQueryMatcher(value, path);
  }
  if (name == "protocol") {
    return makeProtocolMatcher(value, path);
  }
  if (name == "remote_ip" || name == "client_ip") {
    return makeRemoteIpMatcher(name, value, path);
  }
  if (name == "not") {
    return makeNotMatcher(value, path);
  }
  if (name == "vars") {
    return makeVarsMatcher(value, path);
  }
  if (name == "vars_regexp") {
    return makeVarsRegexpMatcher(value, path);
  }
  if (name == "file") {
    return makeFileMatcher(value, path);
  }
  if (name == "expression") {
    return cel::makeExpressionMatcher(value, path);
  }
  throw ProvisionError(path, "matcher '" + name + "' is not supported yet");
}

bool MatcherSet::match(Exchange& ex) const {
  for (const auto& m : matchers_) {
    if (!m->match(ex)) {
      return false;
    }
  }
  return true;
}

MatcherSet compileMatcherSet(const Json& set, const std::string& path) {
  if (!set.is_object()) {
    throw ProvisionError(path, "a matcher set must be an object");
  }
  MatcherSet out;
  for (const auto& [name, value] : set.items()) {
    out.add(compileMatcher(name, value, path + "." + name));
  }
  return out;
}

std::vector<MatcherSet> compileMatcherSets(const std::vector<config::MatcherSet>& sets,
                                           const std::string& path) {
  std::vector<MatcherSet> out;
  for (size_t i = 0; i < sets.size(); ++i) {
    out.push_back(compileMatcherSet(sets[i], path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace gatehouse::router
