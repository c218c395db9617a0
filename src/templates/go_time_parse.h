#pragma once
// Go's time.Parse / time.ParseInLocation(layout, value, Local) for the template functions
// that read dates (Caddy's `humanize "time"`, Sprig's toDate): the reference-time layout
// elements (2006 06 01 1 Jan January 02 2 _2 002 15 03 3 04 4 05 5 PM pm Mon Monday MST
// -0700 -07:00 -07 Z0700 Z07:00 .000 .999 and their ,-separated forms), with Go's error texts.

#include <cstdint>
#include <string>

namespace gatehouse::templates {

// Unix nanoseconds of `value` read with `layout`; without a zone in the value the time is
// UTC, or local time when `local`. Throws TemplateError with Go's message.
int64_t goParseTime(const std::string& layout, const std::string& value, bool local);

}  // namespace gatehouse::templates
