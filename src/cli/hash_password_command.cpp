// gatehouse hash-password: prints a bcrypt hash for basic_auth accounts, as
// `caddy hash-password` does (raw "$2a$14$..." hash, cost 14). The password comes from
// --plaintext, else from a no-echo prompt asked twice on a terminal, else from the first
// line of standard input.

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "cli/command.h"
#include "handlers/bcrypt.h"

namespace gatehouse::cli {

namespace {

// Turns terminal echo off for its lifetime, so a typed password never shows.
class NoEcho {
 public:
  explicit NoEcho(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = tcsetattr(fd_, TCSANOW, &quiet) == 0;
    }
  }
  ~NoEcho() {
    if (active_) {
      tcsetattr(fd_, TCSANOW, &saved_);
    }
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

bool readLine(std::string& out) {
  if (!std::getline(std::cin, out) && out.empty()) {
    return false;
  }
  if (!out.empty() && out.back() == '\r') {
    out.pop_back();
  }
  return true;
}

bool prompt(const char* question, std::string& out) {
  std::cerr << question << std::flush;
  NoEcho quiet(STDIN_FILENO);
  bool ok = readLine(out);
  std::cerr << "\n";
  return ok;
}

// Returns 0 and fills `plaintext`, or an exit code after printing why.
int readPlaintext(std::string& plaintext) {
  if (isatty(STDIN_FILENO) == 0) {
    if (!readLine(plaintext)) {
      std::cerr << "Error: reading the password from standard input: EOF\n";
      return 1;
    }
    return 0;
  }
  std::string confirmation;
  if (!prompt("Enter password: ", plaintext) || !prompt("Confirm password: ", confirmation)) {
    std::cerr << "Error: reading the password from the terminal: EOF\n";
    return 1;
  }
  if (plaintext != confirmation) {
    std::cerr << "Error: password does not match\n";
    return 1;
  }
  return 0;
}

}  // namespace

int runHashPassword(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"plaintext", "algorithm", "salt"}, {}, flags, "hash-password")) {
    return 1;
  }
  const std::string algorithm = flags.get("algorithm", "bcrypt");
  if (algorithm == "scrypt") {
    std::cerr << "Error: hash algorithm 'scrypt' is not supported yet (use bcrypt)\n";
    return 1;
  }
  if (algorithm != "bcrypt") {
    std::cerr << "Error: unrecognized hash algorithm: " << algorithm << "\n";
    return 1;
  }
  if (flags.has("salt")) {
    std::cerr << "Error: --salt applies only to scrypt, which is not supported (bcrypt makes its own salt)\n";
    return 1;
  }
  std::string plaintext = flags.get("plaintext");
  if (plaintext.empty()) {
    if (int rc = readPlaintext(plaintext); rc != 0) {
      return rc;
    }
  }
  if (plaintext.empty()) {
    std::cerr << "Error: plaintext is required\n";
    return 1;
  }
  try {
    std::cout << handlers::bcryptHash(plaintext, handlers::kBcryptDefaultCost) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gatehouse::cli
