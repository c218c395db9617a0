// Go's mapDirOpenError as file_server uses it (found by tests/compat/request_fuzz.py:
// "/url.html/%00" answered 500 where Caddy answers 404).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "handlers/file_paths.h"

using gatehouse::handlers::underAFile;

TEST_CASE("underAFile: a file on the way to the name, before a component stat cannot read", "[file_server]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("gatehouse-underafile-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "page.html") << "x";
  const std::string root = dir.string();
  CHECK(underAFile(root + "/page.html/" + std::string(1, '\0')));
  CHECK(underAFile(root + "/page.html/a/b"));
  CHECK_FALSE(underAFile(root + "/sub/" + std::string(1, '\0')));  // a directory: Go keeps EINVAL
  CHECK_FALSE(underAFile(root + "/missing/page.html/x"));          // the walk stops at the missing one
  CHECK_FALSE(underAFile(root + "/a" + std::string(1, '\0') + "/page.html/x"));
  std::filesystem::remove_all(dir);
}
