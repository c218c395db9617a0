#include "cli/environ.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "admin/config_autosave.h"
#include "cli/command.h"
#include "storage/file_storage.h"

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace gatehouse::cli {

namespace {

// Go's names for the build's target, which caddy prints as runtime.GOOS and runtime.GOARCH.
constexpr const char* kOs =
#if defined(__linux__)
    "linux";
#elif defined(__APPLE__)
    "darwin";
#elif defined(__FreeBSD__)
    "freebsd";
#else
    "unknown";
#endif

constexpr const char* kArch =
#if defined(__x86_64__)
    "amd64";
#elif defined(__aarch64__)
    "arm64";
#elif defined(__i386__)
    "386";
#elif defined(__arm__)
    "arm";
#else
        "unknown";
#endif

constexpr const char* kCompiler =
#if defined(__clang__)
    "clang";
#else
    "gcc";
#endif

}  // namespace

// caddy's lines in its order, named for Gatehouse (gatehouse.*) and for this build: no
// runtime.GOMAXPROCS (no Go scheduler; --workers sets the threads), runtime.Version is the C++
// compiler's.
void printEnvironment(std::ostream& out) {
  const char* home = std::getenv("HOME");
  std::error_code ec;
  const auto cwd = std::filesystem::current_path(ec);
  out << "gatehouse.HomeDir=" << (home != nullptr && *home != '\0' ? home : ".") << "\n"
      << "gatehouse.AppDataDir=" << acme::FileStorage::defaultRoot() << "\n"
      << "gatehouse.AppConfigDir=" << admin::appConfigDir() << "\n"
      << "gatehouse.ConfigAutosavePath=" << admin::autosavePath() << "\n"
      << "gatehouse.Version=" << GATEHOUSE_VERSION << "\n"
      << "runtime.GOOS=" << kOs << "\n"
      << "runtime.GOARCH=" << kArch << "\n"
      << "runtime.Compiler=" << kCompiler << "\n"
      << "runtime.NumCPU=" << std::thread::hardware_concurrency() << "\n"
      << "runtime.Version=" << __VERSION__ << "\n"
      << "os.Getwd=" << (ec ? std::string() : cwd.string()) << "\n\n";
  for (char** e = environ; *e != nullptr; ++e) {
    out << *e << "\n";
  }
}

int runEnviron(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {}, {}, flags, "environ")) {
    return 1;
  }
  printEnvironment(std::cout);
  return 0;
}

}  // namespace gatehouse::cli
