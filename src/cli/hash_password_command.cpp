// gatehouse hash-password: prints a bcrypt hash for basic_auth accounts, as
// `caddy hash-password` does (raw "$2a$14$..." hash, cost 14), or with --algorithm scrypt
// caddy 2.6's deprecated scrypt hash of the password and --salt. The password comes from
// --plaintext, else from a no-echo prompt asked twice on a terminal, else from the first
// line of standard input.

#include <openssl/evp.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>
#include <string>

#include "cli/command.h"
#include "handlers/base64.h"
#include "handlers/bcrypt.h"
#include "handlers/scrypt.h"

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
      std::cerr << "Error: EOF\n";  // caddy's words
      return 1;
    }
    return 0;
  }
  std::string confirmation;
  if (!prompt("Enter password: ", plaintext) || !prompt("Confirm password: ", confirmation)) {
    std::cerr << "Error: EOF\n";
    return 1;
  }
  if (plaintext != confirmation) {
    std::cerr << "Error: password does not match\n";
    return 1;
  }
  return 0;
}

// Caddy 2.6's deprecated scrypt: base64 of scrypt(password, the --salt bytes as typed, its
// default N=32768, r=8, p=1, 32 bytes), what http_basic's scrypt accounts hold.
std::string scryptHash(const std::string& plaintext, const std::string& salt) {
  const handlers::ScryptParams params;
  std::string key(params.keyLength, '\0');
  constexpr uint64_t kMaxMem = 64ULL << 20;  // N=32768, r=8 needs 32 MiB
  if (EVP_PBE_scrypt(plaintext.data(), plaintext.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), params.n, params.r, params.p, kMaxMem,
                     reinterpret_cast<unsigned char*>(key.data()), key.size()) != 1) {
    throw std::runtime_error("scrypt failed");
  }
  return handlers::base64Encode(key);
}

}  // namespace

int runHashPassword(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"plaintext", "algorithm", "salt"}, {}, flags, "hash-password")) {
    return 1;
  }
  // caddy's order: the password first (a prompt or stdin), then the algorithm
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
  const std::string algorithm = flags.get("algorithm", "bcrypt");
  try {
    if (algorithm == "bcrypt") {  // makes its own salt: --salt is ignored, as caddy ignores it
      std::cout << handlers::bcryptHash(plaintext, handlers::kBcryptDefaultCost) << "\n";
    } else if (algorithm == "scrypt") {
      std::cout << scryptHash(plaintext, flags.get("salt")) << "\n";
    } else {
      std::cerr << "Error: unrecognized hash algorithm: " << algorithm << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gatehouse::cli
