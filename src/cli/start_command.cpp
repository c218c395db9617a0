// gatehouse start: launches `gatehouse run --pingback ADDR` in the background, as `caddy
// start` does, and returns once the child confirms it serves (exit 0) or exits (exit 1).
// The child keeps this process's stdout and stderr; `gatehouse stop` ends it.

#include <fcntl.h>
#include <openssl/rand.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>

#include "cli/bool_flag.h"
#include "cli/command.h"
#include "cli/pingback.h"

extern char** environ;

namespace gatehouse::cli {

namespace {

// The run command line, flags in caddy's order.
std::vector<std::string> childArgs(const std::string& self, const Flags& flags, const std::string& pingback) {
  std::vector<std::string> argv = {self, "run", "--pingback", pingback};
  for (const char* name : {"config", "envfile", "adapter"}) {
    if (!flags.get(name).empty()) {
      argv.insert(argv.end(), {std::string("--") + name, flags.get(name)});
    }
  }
  if (boolFlag(flags, "watch")) {
    argv.emplace_back("--watch");
  }
  for (const char* name : {"pidfile", "workers"}) {
    if (!flags.get(name).empty()) {
      argv.insert(argv.end(), {std::string("--") + name, flags.get(name)});
    }
  }
  return argv;
}

// Starts `argv` with the read end of a pipe as stdin and writes `stdinBytes` into it. The
// child's pid, or -1 with `error`.
pid_t spawnWithInput(const std::vector<std::string>& argv, const std::string& stdinBytes,
                     std::string& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = "creating stdin pipe: " + std::string(std::strerror(errno));
    return -1;
  }
  handlers::UniqueFd readEnd(fds[0]);
  handlers::UniqueFd writeEnd(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, readEnd.get(), STDIN_FILENO);  // dup2 drops CLOEXEC
  std::vector<char*> cargv;
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "starting gatehouse process: fork/exec " + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  readEnd = handlers::UniqueFd();
  // 32 bytes fit in any pipe buffer: the write does not wait for the child to read
  if (::write(writeEnd.get(), stdinBytes.data(), stdinBytes.size()) < 0) {
    std::cerr << "writing confirmation bytes to the child: " << std::strerror(errno) << "\n";
  }
  return pid;
}

// Go's text for how a child process ended (*exec.ExitError), "<nil>" for a clean exit.
std::string exitText(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status) == 0 ? "<nil>" : "exit status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return std::string("signal: ") + ::strsignal(WTERMSIG(status));
  }
  return "exit status " + std::to_string(status);
}

std::string selfPath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("/proc/self/exe");
}

}  // namespace

int runStart(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "envfile", "pidfile", "workers"}, {"watch"}, flags, "start")) {
    return 1;
  }
  PingbackListener listener;
  std::string error;
  if (!listener.open(error)) {
    std::cerr << "Error: opening listener for success confirmation: " << error << "\n";
    return 1;
  }
  std::string expect(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(expect.data()), static_cast<int>(expect.size())) != 1) {
    std::cerr << "Error: generating random confirmation bytes: RAND_bytes failed\n";
    return 1;
  }
  const pid_t pid = spawnWithInput(childArgs(selfPath(), flags, listener.address()), expect, error);
  if (pid < 0) {
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  // Either the child connects with the bytes, or it exits (a bad config, a busy port).
  for (;;) {
    if (listener.confirmed(expect, 100)) {
      std::cout << "Successfully started Gatehouse (pid=" << pid
                << ") - Gatehouse is running in the background\n";
      return 0;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      std::cerr << "Error: gatehouse process exited with error: " << exitText(status) << "\n";
      return 1;
    }
  }
}

}  // namespace gatehouse::cli
