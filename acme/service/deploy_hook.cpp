#include "service/deploy_hook.h"

#include "util/process_runner.h"

namespace gatehouse::acme {

void runDeployHook(uv_loop_t* loop, const CertificateTarget& target, std::chrono::seconds limit,
                   std::function<void(std::optional<std::string>)> done) {
  std::string names;
  for (const auto& n : target.names)
    names += (names.empty() ? "" : ",") + n;
  runProcess(loop, {"/bin/sh", "-c", target.deploy},
             {"GATEHOUSE_CERT_NAMES=" + names, "GATEHOUSE_FULLCHAIN=" + target.fullchainPath,
              "GATEHOUSE_PRIVKEY=" + target.privkeyPath},
             limit, [done](std::optional<std::string> err) {
               if (err)
                 *err = "deploy command: " + *err;
               done(err);
             });
}

}  // namespace gatehouse::acme
