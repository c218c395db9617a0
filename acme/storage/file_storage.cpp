#include "storage/file_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/atomic_file.h"
#include "storage/storage_keys.h"

namespace gatehouse::acme {

namespace fs = std::filesystem;

namespace {
constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0700;
constexpr std::chrono::seconds kStaleTempAge{600};

std::chrono::system_clock::time_point mtimeOf(const struct stat& st) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec) +
                                               std::chrono::nanoseconds(st.st_mtim.tv_nsec));
}

std::string lockBody() {
  const auto now = std::chrono::system_clock::now();
  return nlohmann::json{{"created", rfc3339(now)}, {"updated", rfc3339(now)}}.dump();
}

// The file's bytes; nullopt when it does not exist. O_NONBLOCK: a FIFO put in place of a
// file would otherwise block the open (and the start, a renewal or a lock check with it)
// until something writes to it; only regular files are read. Throws StorageError.
std::optional<std::string> readStoredFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::nullopt;
    throw StorageError("reading " + path + ": " + std::strerror(errno));
  }
  std::string out;
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  int err = 0;
  if (regular) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        err = errno;
      if (n <= 0)
        break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (!regular)
    throw StorageError("reading " + path + ": not a regular file");
  if (err != 0)
    throw StorageError("reading " + path + ": " + std::strerror(err));
  return out;
}

// A lock file's body, "" when it cannot be read (its mtime then decides).
std::string lockText(const std::string& path) {
  try {
    return readStoredFile(path).value_or("");
  } catch (const StorageError&) {
    return "";
  }
}
}  // namespace

FileStorage::FileStorage(std::string root, std::chrono::seconds staleAfter)
    : root_(std::move(root)), staleAfter_(staleAfter) {
  while (root_.size() > 1 && root_.back() == '/')
    root_.pop_back();
}

std::string FileStorage::defaultRoot() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/caddy";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.local/share/caddy";
}

std::string FileStorage::pathOf(const std::string& key) const {
  // Keys come from storage_keys (already safe); refuse traversal all the same.
  if (key.find("..") != std::string::npos)
    throw StorageError("invalid storage key: " + key);
  return key.empty() ? root_ : root_ + "/" + key;
}

void FileStorage::store(const std::string& key, std::string_view value) {
  const std::string path = pathOf(key);
  try {
    makeDirs(path.substr(0, path.rfind('/')), kDirMode);
    writeFileAtomic(path, value, kFileMode);
  } catch (const std::runtime_error& e) {
    throw StorageError(e.what());
  }
}

void FileStorage::storeAll(const std::vector<std::pair<std::string, std::string_view>>& values) {
  std::vector<FileWrite> files;
  for (const auto& [key, value] : values)
    files.push_back({pathOf(key), value});
  try {
    for (const auto& f : files)
      makeDirs(f.path.substr(0, f.path.rfind('/')), kDirMode);
    writeFilesAtomic(files, kFileMode);
  } catch (const std::runtime_error& e) {
    throw StorageError(e.what());
  }
  // A process killed while writing (kill -9, a crash) leaves its temporary files, which
  // may hold a private key: the next store of the same files removes them.
  for (const auto& f : files)
    removeStaleTemps(f.path, kStaleTempAge);
}

std::optional<std::string> FileStorage::load(const std::string& key) {
  return readStoredFile(pathOf(key));
}

bool FileStorage::completeInterruptedStore(const std::string& key,
                                           const std::function<bool(const std::string&)>& fits) {
  const std::string path = pathOf(key);
  for (const auto& temp : tempsOf(path)) {
    std::optional<std::string> content;
    try {
      content = readStoredFile(temp);
    } catch (const StorageError&) {
      continue;
    }
    if (content && fits(*content) && ::rename(temp.c_str(), path.c_str()) == 0) {
      return true;
    }
  }
  return false;
}

bool FileStorage::remove(const std::string& key) {
  std::error_code ec;
  const auto n = fs::remove_all(pathOf(key), ec);
  if (ec)
    throw StorageError("deleting " + pathOf(key) + ": " + ec.message());
  return n > 0;
}

bool FileStorage::exists(const std::string& key) {
  struct stat st {};
  return ::stat(pathOf(key).c_str(), &st) == 0;
}

std::vector<std::string> FileStorage::list(const std::string& prefix, bool recursive) {
  std::vector<std::string> out;
  const std::string base = pathOf(prefix);
  std::error_code ec;
  if (!fs::is_directory(base, ec))
    return out;
  const std::string keyPrefix = prefix.empty() ? "" : prefix + "/";
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::end(it); it.increment(ec)) {
      if (it->is_regular_file())
        out.push_back(keyPrefix + fs::relative(it->path(), base).string());
    }
  } else {
    for (auto it = fs::directory_iterator(base, ec); !ec && it != fs::end(it); it.increment(ec)) {
      out.push_back(keyPrefix + it->path().filename().string());
    }
  }
  if (ec)
    throw StorageError("listing " + base + ": " + ec.message());
  return out;
}

std::optional<KeyInfo> FileStorage::stat(const std::string& key) {
  struct stat st {};
  if (::stat(pathOf(key).c_str(), &st) != 0) {
    if (errno == ENOENT)
      return std::nullopt;
    throw StorageError("stat " + pathOf(key) + ": " + std::strerror(errno));
  }
  return KeyInfo{key, mtimeOf(st), static_cast<uint64_t>(st.st_size), !S_ISDIR(st.st_mode)};
}

std::string FileStorage::lockPath(const std::string& name) const {
  return root_ + "/locks/" + storage_keys::safe(name) + ".lock";
}

bool FileStorage::lockIsStale(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT;
  auto updated = mtimeOf(st);
  // Prefer the timestamp inside (what certmagic refreshes); the mtime covers a file that
  // was created but not yet written.
  const auto meta = nlohmann::json::parse(lockText(path), nullptr, false);
  if (meta.is_object()) {
    std::chrono::system_clock::time_point t;
    for (const char* field : {"updated", "created"}) {
      if (meta.contains(field) && meta[field].is_string() && parseRfc3339(meta[field], t)) {
        updated = std::max(updated, t);
        break;
      }
    }
  }
  return std::chrono::system_clock::now() - updated > staleAfter_;
}

bool FileStorage::tryLock(const std::string& name) {
  const std::string path = lockPath(name);
  try {
    makeDirs(root_ + "/locks", kDirMode);
  } catch (const std::runtime_error& e) {
    throw StorageError(e.what());
  }
  // Two attempts: the second after clearing a stale lock.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
    if (fd >= 0) {
      const std::string body = lockBody();
      const ssize_t n = ::write(fd, body.data(), body.size());
      const int err = n < 0 ? errno : ENOSPC;  // a short write of a few bytes: the disk is full
      const bool written = n == static_cast<ssize_t>(body.size());
      if (syncLocks_)
        ::fsync(fd);
      ::close(fd);
      if (!written) {
        ::unlink(path.c_str());
        throw StorageError("writing lock file " + path + ": " + std::strerror(err));
      }
      return true;
    }
    if (errno != EEXIST)
      throw StorageError("creating lock file " + path + ": " + std::strerror(errno));
    if (attempt > 0 || !lockIsStale(path))
      return false;
    ::unlink(path.c_str());
  }
  return false;
}

void FileStorage::refreshLock(const std::string& name) {
  const std::string path = lockPath(name);
  auto meta = nlohmann::json::parse(lockText(path), nullptr, false);
  if (!meta.is_object())
    meta = nlohmann::json::object();
  meta["updated"] = rfc3339(std::chrono::system_clock::now());
  try {
    writeFileAtomic(path, meta.dump(), kFileMode);
  } catch (const std::runtime_error& e) {
    throw StorageError(e.what());
  }
}

void FileStorage::unlock(const std::string& name) {
  const std::string path = lockPath(name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw StorageError("removing lock file " + path + ": " + std::strerror(errno));
  }
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns % 1000000000));
  return buf;
}

bool parseRfc3339(const std::string& text, std::chrono::system_clock::time_point& out) {
  struct tm tm {};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return false;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  size_t pos = static_cast<size_t>(consumed);
  long long nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    long long scale = 100000000;
    for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  long offset = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int hh = 0;
    int mm = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &hh, &mm) != 2)
      return false;
    offset = (text[pos] == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
  } else if (pos >= text.size() || (text[pos] != 'Z' && text[pos] != 'z')) {
    return false;
  }
  out = std::chrono::system_clock::from_time_t(timegm(&tm) - offset) + std::chrono::nanoseconds(nanos);
  return true;
}

}  // namespace gatehouse::acme
