#pragma once
// Go's fmt.Sprint, Sprintln and Sprintf over template values, with the verbs templates use
// (%v %s %d %q %x %X %o %b %c %t %f %F %e %E %g %G %T %%), flags (+ - # 0 space), width
// and precision (also `*`), and Go's error forms (%!d(string=x), %!v(MISSING), %!(EXTRA ...)).

#include <string>

#include "templates/go_quote.h"  // goQuote, for the callers of fmt
#include "templates/value.h"

namespace gatehouse::templates {

std::string goSprint(const Args& args);
std::string goSprintln(const Args& args);
std::string goSprintf(const std::string& format, const Args& args);

}  // namespace gatehouse::templates
