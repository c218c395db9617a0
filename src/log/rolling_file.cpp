#include "log/rolling_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace gatehouse::log {

namespace fs = std::filesystem;

namespace {

// "access.log" -> {"access", ".log"}
std::pair<std::string, std::string> splitExt(const std::string& base) {
  size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot == 0) {
    return {base, ""};
  }
  return {base.substr(0, dot), base.substr(dot)};
}

// Gzips `src` into `src.gz` and removes `src`; keeps `src` if anything fails.
void gzipFile(const std::string& src) {
  handlers::UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    return;
  }
  const std::string dst = src + ".gz";
  gzFile out = gzopen(dst.c_str(), "wb");
  if (out == nullptr) {
    return;
  }
  std::vector<char> buf(64 * 1024);
  bool ok = true;
  while (true) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    if (gzwrite(out, buf.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) {
      ok = false;
      break;
    }
  }
  ok = gzclose(out) == Z_OK && ok;
  ::unlink(ok ? src.c_str() : dst.c_str());
}

}  // namespace

RollingFile::RollingFile(std::string filename, RollPolicy policy)
    : filename_(std::move(filename)), policy_(policy) {
  std::error_code ec;
  fs::path dir = fs::path(filename_).parent_path();
  if (!dir.empty()) {
    fs::create_directories(dir, ec);
  }
  open();
  if (fd_.get() < 0) {
    throw std::runtime_error("opening log file " + filename_ + ": " + std::strerror(errno));
  }
}

void RollingFile::open() {
  // Rolled logs hold client addresses: owner-only, as lumberjack creates them.
  const mode_t mode = policy_.mode ? *policy_.mode : policy_.enabled ? 0600 : 0644;
  fd_ = handlers::UniqueFd(::open(filename_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode));
  struct stat st {};
  const bool statted = fd_.get() >= 0 && ::fstat(fd_.get(), &st) == 0;
  size_ = statted ? static_cast<uint64_t>(st.st_size) : 0;
  // Caddy 2.8's `mode` also fixes an existing file's mode when rolling is on.
  if (statted && policy_.mode && policy_.enabled && (st.st_mode & 07777) != *policy_.mode) {
    ::fchmod(fd_.get(), *policy_.mode);
  }
}

std::string RollingFile::describe() const {
  std::error_code ec;
  auto abs = fs::absolute(filename_, ec);
  return ec ? filename_ : abs.lexically_normal().string();
}

std::string RollingFile::backupName(const std::string& filename, std::chrono::system_clock::time_point t,
                                    bool local) {
  fs::path p(filename);
  auto [stem, ext] = splitExt(p.filename().string());
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  if (local) {
    localtime_r(&secs, &tm);
  } else {
    gmtime_r(&secs, &tm);
  }
  char stamp[64];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%S", &tm);
  char full[80];
  std::snprintf(full, sizeof(full), "%s.%03d", stamp, static_cast<int>(ms));
  return (p.parent_path() / (stem + "-" + full + ext)).string();
}

bool RollingFile::roll() {
  const std::string backup = backupName(filename_, std::chrono::system_clock::now(), policy_.localTime);
  fd_ = handlers::UniqueFd();
  if (::rename(filename_.c_str(), backup.c_str()) != 0 && errno != ENOENT) {
    open();  // keep logging into the old file rather than losing lines
    return fd_.get() >= 0;
  }
  open();
  if (!background_) {
    background_ = std::make_unique<RollCompressor>();
  }
  background_->post([backup, filename = filename_, policy = policy_] {
    if (policy.gzip) {
      gzipFile(backup);
    }
    prune(filename, policy);
  });
  return fd_.get() >= 0;
}

void RollingFile::drainBackground() {
  if (background_) {
    background_->drain();
  }
}

// Deletes rolled files past the count or age limits, oldest first.
void RollingFile::prune(const std::string& filename, const RollPolicy& policy) {
  fs::path p(filename);
  auto [stem, ext] = splitExt(p.filename().string());
  const std::string prefix = stem + "-";
  std::vector<fs::directory_entry> rolled;
  std::error_code ec;
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(prefix) && (name.ends_with(ext) || name.ends_with(ext + ".gz")) &&
        name.size() > prefix.size() + ext.size()) {
      rolled.push_back(e);
    }
  }
  // Time stamps in the names sort as the times they spell.
  std::sort(rolled.begin(), rolled.end(), [](const auto& a, const auto& b) { return a.path() > b.path(); });
  const auto maxAge = std::chrono::hours(24) * policy.keepDays;
  for (size_t i = 0; i < rolled.size(); ++i) {
    auto mtime = fs::last_write_time(rolled[i], ec);
    const bool tooOld = !ec && fs::file_time_type::clock::now() - mtime > maxAge;
    if (static_cast<int>(i) >= policy.keep || tooOld) {
      fs::remove(rolled[i].path(), ec);
    }
  }
}

bool RollingFile::write(std::string_view lines) {
  if (policy_.enabled && size_ > 0 && size_ + lines.size() > policy_.maxBytes) {
    roll();
  }
  if (fd_.get() < 0) {
    open();  // the file may have been removed under us; try again once per batch
    if (fd_.get() < 0) {
      return false;
    }
  }
  if (!writeAll(fd_.get(), lines)) {
    return false;
  }
  size_ += lines.size();
  return true;
}

}  // namespace gatehouse::log
