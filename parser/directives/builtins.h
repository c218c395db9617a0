#pragma once
// The builtin directives: site structure (bind), routing (handle, handle_path, route,
// handle_errors, invoke) and access logs (log).

#include <map>
#include <string>
#include <vector>

#include "gatehouse/parser/helper.h"

namespace gatehouse::parser::directives {

std::vector<ConfigValue> parseBind(Helper& h);
config::Handler parseHandle(Helper& h);
std::vector<ConfigValue> parseHandlePath(Helper& h);
config::Handler parseRoute(Helper& h);
std::vector<ConfigValue> parseHandleErrors(Helper& h);
config::Handler parseInvoke(Helper& h);
std::vector<ConfigValue> parseLog(Helper& h);

// The `log` directive and the `log` global option share one parser (Caddy's
// parseLogHelper). With `globalNames` set it parses the global option: the name defaults
// to "default", must be unique among globalNames, and include/exclude are allowed.
// Returns one "custom_log" value: {"name", "log" (absent when empty), "hostnames", "no_hostname"}.
std::vector<ConfigValue> parseLogSegment(Helper& h, std::map<std::string, bool>* globalNames);

}  // namespace gatehouse::parser::directives
