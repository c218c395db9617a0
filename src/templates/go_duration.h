#pragma once
// Go's time.ParseDuration (no "d" unit), as Sprig's dateModify uses it.

#include <cstdint>
#include <string>

namespace gatehouse::templates {

// Nanoseconds; throws TemplateError with Go's text (`time: invalid duration "x"`).
int64_t goParseDuration(const std::string& text);

}  // namespace gatehouse::templates
