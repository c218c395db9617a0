#include "dns/exec_provider.h"

#include <stdexcept>

#include "util/process_runner.h"

namespace gatehouse::acme::dns {

namespace {
constexpr std::chrono::seconds kCommandLimit{300};
}

ExecProvider::ExecProvider(uv_loop_t* loop, std::vector<std::string> command)
    : loop_(loop), command_(std::move(command)) {
  if (command_.empty() || command_.front().empty())
    throw std::invalid_argument("exec: missing command");
}

void ExecProvider::present(const TxtRecord& record, Done done) {
  run("present", record, std::move(done));
}

void ExecProvider::cleanUp(const TxtRecord& record, Done done) {
  run("cleanup", record, std::move(done));
}

void ExecProvider::run(const char* action, const TxtRecord& record, Done done) {
  auto argv = command_;
  argv.insert(argv.end(), {action, record.fqdn, record.value});
  runProcess(loop_, std::move(argv), {}, kCommandLimit, std::move(done));
}

}  // namespace gatehouse::acme::dns
