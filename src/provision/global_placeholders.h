#pragma once
// Caddy's global replacer as config fields outside a request use it (caddy.NewReplacer()
// .ReplaceOrErr(s, true, true)): {env.*} and {system.*} are replaced, an unknown
// placeholder or an empty value is an error with Caddy's wording. `\{` and `\}` are
// literal braces. {time.now*} is refused as not supported here.

#include <string>

namespace gatehouse::provision {

// Throws std::runtime_error ("unrecognized placeholder {foo}", "evaluated placeholder
// {env.X} is empty").
std::string replaceGlobalPlaceholders(const std::string& text);

}  // namespace gatehouse::provision
