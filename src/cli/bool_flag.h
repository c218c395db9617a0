#pragma once
// A switch's value as Go's flag package reads it: "--browse" and "--browse=true" are on,
// "--browse=false" (or 0, f, F, FALSE, False) off.

#include <string_view>

#include "cli/command.h"

namespace gatehouse::cli {

bool boolFlag(const Flags& flags, std::string_view name);

}  // namespace gatehouse::cli
