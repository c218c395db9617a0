#pragma once
// Go's time.Time as a template value (what sprig's `now` returns): Format, Unix, Year...
// and its default print form.

#include <cstdint>
#include <memory>

#include "templates/value.h"

namespace gatehouse::templates {

// `unixNanos` since the epoch; `local` renders in the process's time zone (as Go's Local).
Value makeTime(int64_t unixNanos, bool local = true);
// The instant of a time value, or nullopt when `v` is not one.
std::optional<int64_t> timeNanos(const Value& v);
int64_t nowNanos();
// Go's Time.Add: `t` moved by `deltaNanos`, in the same location; nullopt when `t` is not a time.
std::optional<Value> addToTime(const Value& t, int64_t deltaNanos);

}  // namespace gatehouse::templates
