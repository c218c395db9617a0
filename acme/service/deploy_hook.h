#pragma once
// Runs a certificates block's deploy command (/bin/sh -c) after new files are in place,
// without blocking the loop, with a time limit. The command sees GATEHOUSE_CERT_NAMES,
// GATEHOUSE_FULLCHAIN and GATEHOUSE_PRIVKEY in its environment.

#include <uv.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "service/service_config.h"

namespace gatehouse::acme {

// `done` gets nullopt on exit status 0, else a description of the failure.
void runDeployHook(uv_loop_t* loop, const CertificateTarget& target, std::chrono::seconds limit,
                   std::function<void(std::optional<std::string>)> done);

}  // namespace gatehouse::acme
