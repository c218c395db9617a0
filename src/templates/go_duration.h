#pragma once
// Go's time.ParseDuration (no "d" unit), as Sprig's dateModify uses it.

#include <cstdint>
#include <string>

#include "gatehouse/parser/go_duration.h"
#include "templates/value.h"

namespace gatehouse::templates {

// Nanoseconds; throws TemplateError with Go's text (`time: invalid duration "x"`).
inline int64_t goParseDuration(const std::string& text) {
  std::string error;
  const auto ns = gatehouse::parser::parseGoDuration(text, &error);
  if (!ns) {
    throw TemplateError(error);
  }
  return *ns;
}

}  // namespace gatehouse::templates
