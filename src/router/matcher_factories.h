#pragma once
// Internal to the router: factories for the matcher families that compileMatcher
// (matchers.cpp) dispatches to, and helpers the families share. Each factory parses the
// matcher's JSON and throws provision::ProvisionError naming `path` when it is malformed.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::router {

namespace detail {
// ASCII lower-casing.
std::string toLower(std::string_view s);
// A JSON array of strings, or ProvisionError(path, ...).
std::vector<std::string> stringList(const config::Json& j, const std::string& path);
}  // namespace detail

// request_matchers.cpp
std::unique_ptr<runtime::Matcher> makeHostMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makePathMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makePathRegexpMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makeMethodMatcher(const config::Json& value, const std::string& path);

// header_query_matchers.cpp
std::unique_ptr<runtime::Matcher> makeHeaderMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makeHeaderRegexpMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makeQueryMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makeProtocolMatcher(const config::Json& value, const std::string& path);

// context_matchers.cpp. `name` is "remote_ip" or "client_ip", for error messages.
std::unique_ptr<runtime::Matcher> makeRemoteIpMatcher(const std::string& name, const config::Json& value,
                                                      const std::string& path);
std::unique_ptr<runtime::Matcher> makeNotMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makeVarsMatcher(const config::Json& value, const std::string& path);
std::unique_ptr<runtime::Matcher> makeVarsRegexpMatcher(const config::Json& value, const std::string& path);

// file_matcher.cpp
std::unique_ptr<runtime::Matcher> makeFileMatcher(const config::Json& value, const std::string& path);

}  // namespace gatehouse::router
