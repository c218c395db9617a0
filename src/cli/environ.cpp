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

void printEnvironment(std::ostream& out) {
  const char* home = std::getenv("HOME");
  std::error_code ec;
  const auto cwd = std::filesystem::current_path(ec);
  out << "gatehouse.HomeDir=" << (home != nullptr && *home != '\0' ? home : ".") << "\n"
      << "gatehouse.AppDataDir=" << acme::FileStorage::defaultRoot() << "\n"
      << "gatehouse.AppConfigDir=" << admin::appConfigDir() << "\n"
      << "gatehouse.ConfigAutosavePath=" << admin::autosavePath() << "\n"
      << "gatehouse.Version=" << GATEHOUSE_VERSION << "\n"
      << "runtime.NumCPU=" << std::thread::hardware_concurrency() << "\n"
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
