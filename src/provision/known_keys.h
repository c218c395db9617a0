#pragma once
// Refuses the fields of a JSON object that provisioning does not implement, naming their
// path: a field parsed but ignored at run time would be silently dropped.

#include <algorithm>
#include <initializer_list>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "provision/provision_error.h"

namespace gatehouse::provision {

inline void onlyKeys(const config::Json& j, const std::string& path,
                     std::initializer_list<const char*> known) {
  if (!j.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [k, _] : j.items()) {
    if (std::find_if(known.begin(), known.end(), [&](const char* n) { return k == n; }) == known.end()) {
      throw ProvisionError(path + "." + k, "'" + k + "' is not supported yet");
    }
  }
}

}  // namespace gatehouse::provision
