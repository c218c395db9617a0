#pragma once
// go-humanize's Time (what Caddy's `humanize "time"` prints): "3 minutes ago",
// "1 day from now", "a long while ago".

#include <cstdint>
#include <string>

namespace gatehouse::templates {

// `then` relative to `now`, both unix nanoseconds.
std::string humanizeTime(int64_t then, int64_t now);

}  // namespace gatehouse::templates
