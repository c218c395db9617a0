#pragma once
// The JSON type of a variable the `vars` handler set from a number or a boolean. Caddy keeps
// such a value typed (float64, bool): it prints the same as text everywhere, but a CEL
// expression sees a number or a bool (`{vars.n} == 1` true, `{vars.n} == "1"` false).
// Exchange::vars holds text only, so the type is kept beside it among the captures.

#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

enum class VarType : char { String = 0, Number = 'n', Bool = 'b' };

// Records `type` for the variable `name` whose text is `text` (String forgets a type).
void setVarType(runtime::Exchange& ex, std::string_view name, VarType type, std::string_view text);
// The recorded type while the variable still holds the text it was set with; String otherwise.
[[nodiscard]] VarType varType(const runtime::Exchange& ex, std::string_view name);

}  // namespace gatehouse::router
