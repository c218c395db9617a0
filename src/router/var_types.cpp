#include "router/var_types.h"

#include <string>

namespace gatehouse::router {

namespace {
// A key no placeholder can name (as the other capture prefixes in placeholders.h).
constexpr std::string_view kVarTypePrefix =
    "\x1f"
    "vartype.";

const std::string* findType(const runtime::Exchange& ex, std::string_view name) {
  for (const auto& [key, value] : ex.captures) {
    std::string_view k = key;
    if (k.size() == kVarTypePrefix.size() + name.size() && k.starts_with(kVarTypePrefix) &&
        k.ends_with(name)) {
      return &value;
    }
  }
  return nullptr;
}
}  // namespace

void setVarType(runtime::Exchange& ex, std::string_view name, VarType type, std::string_view text) {
  if (type == VarType::String && findType(ex, name) == nullptr) {
    return;  // nothing to forget: keep the captures short on the common path
  }
  std::string key(kVarTypePrefix);
  key += name;
  std::string value(1, static_cast<char>(type));
  value += text;
  ex.setCapture(std::move(key), std::move(value));
}

VarType varType(const runtime::Exchange& ex, std::string_view name) {
  const std::string* found = findType(ex, name);
  if (found == nullptr || found->empty()) {
    return VarType::String;
  }
  // Another handler (map, a later vars) may have set the variable to other text since.
  const std::string* current = ex.var(name);
  if (current == nullptr || std::string_view(*found).substr(1) != *current) {
    return VarType::String;
  }
  return static_cast<VarType>(found->front());
}

}  // namespace gatehouse::router
