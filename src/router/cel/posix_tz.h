#pragma once
// The offset a POSIX TZ rule string gives at one instant ("CET-1CEST,M3.5.0,M10.5.0/3", the
// footer of a TZif file), as Go's time package reads it for instants past the file's last
// transition.

#include <cstdint>
#include <optional>
#include <string_view>

namespace gatehouse::router::cel {

// Seconds east of UTC at `unixSeconds`; nullopt when `rule` does not parse.
std::optional<int64_t> posixRuleOffset(std::string_view rule, int64_t unixSeconds);

}  // namespace gatehouse::router::cel
