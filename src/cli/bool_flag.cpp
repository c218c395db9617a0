#include "cli/bool_flag.h"

namespace gatehouse::cli {

bool boolFlag(const Flags& flags, std::string_view name) {
  if (!flags.has(name)) {
    return false;
  }
  const std::string value = flags.get(name);
  return !(value == "false" || value == "0" || value == "f" || value == "F" || value == "FALSE" ||
           value == "False");
}

}  // namespace gatehouse::cli
