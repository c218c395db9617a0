// gatehouse fmt: formats a Caddyfile as `caddy fmt` 2.6.2 does, with its flags, messages and
// exit codes (0 whether or not the file was formatted already).

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/command.h"
#include "gatehouse/parser/formatter.h"

namespace gatehouse::cli {
namespace {

// Go's wording for a failed open: "open <path>: no such file or directory".
std::string openError(const std::string& path, int err) {
  std::string reason = std::strerror(err);
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  return "open " + path + ": " + reason;
}

bool readWhole(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "Error: reading input file: " << openError(path, errno) << "\n";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace

int runFmt(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {}, {"overwrite", "diff"}, flags, "fmt")) {
    return 1;
  }
  const std::string path = flags.positional.empty() ? "Caddyfile" : flags.positional[0];
  if (path == "-") {
    // stdin: always printed, never judged
    std::string input(std::istreambuf_iterator<char>(std::cin), {});
    std::cout << parser::formatCaddyfile(input);
    return 0;
  }
  std::string input;
  if (!readWhole(path, input)) {
    return 1;
  }
  const std::string output = parser::formatCaddyfile(input);
  if (flags.has("overwrite")) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!(out << output) || !out.flush()) {
      std::cerr << "Error: overwriting formatted file: " << openError(path, errno) << "\n";
      return 1;
    }
    return 0;
  }
  std::cout << (flags.has("diff") ? parser::formatDiff(input, output) : output);
  // caddy 2.6.2 exits 0 for an unformatted file (2.7 and later exit 1 with "Caddyfile input is
  // not formatted"): scripts written for 2.6.2 pipe `fmt` and must not fail
  return 0;
}

}  // namespace gatehouse::cli
