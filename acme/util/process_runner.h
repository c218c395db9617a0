#pragma once
// Runs a program to completion without blocking the loop (uv_spawn), with a time limit
// after which it is killed. Its stdout and stderr go to our stderr, beside our log lines.

#include <uv.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::acme {

// `argv[0]` is looked up in PATH. `extraEnv` entries ("NAME=value") are added to ours.
// `done` gets nullopt on exit status 0, else what went wrong.
void runProcess(uv_loop_t* loop, std::vector<std::string> argv, const std::vector<std::string>& extraEnv,
                std::chrono::seconds limit, std::function<void(std::optional<std::string>)> done);

}  // namespace gatehouse::acme
