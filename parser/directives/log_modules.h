#pragma once
// Logging modules in the Caddyfile: writers (output ...) and encoders (format ...), shared
// by the `log` directive and the `log` global option.

#include "gatehouse/parser/dispenser.h"
#include "gatehouse/parser/helper.h"

namespace gatehouse::parser::directives {

// With the cursor on the module name after `output`: {"output": name, ...options}.
Json parseLogWriter(Dispenser& d);
// With the cursor on the module name after `format`: {"format": name, ...options}.
Json parseLogEncoder(Dispenser& d);

}  // namespace gatehouse::parser::directives
