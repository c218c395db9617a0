#pragma once
// Provisioning failures name the JSON path of the offending node:
// "apps.http.servers.srv0.routes[0].handle[0]: handler 'reverse_proxy' is not supported yet".
// Provisioning is start-up code off any loop, so it throws; run_command catches and prints.

#include <stdexcept>
#include <string>

namespace gatehouse::provision {

class ProvisionError : public std::runtime_error {
 public:
  ProvisionError(const std::string& path, const std::string& message)
      : std::runtime_error(path.empty() ? message : path + ": " + message) {}
};

}  // namespace gatehouse::provision
