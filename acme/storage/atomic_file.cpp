#include "storage/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <stdexcept>

namespace gatehouse::acme {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

std::string dirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Closes the descriptor and removes the temporary file unless it was renamed into place.
struct TempFile {
  int fd = -1;
  std::string path;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0)
      ::close(fd);
    if (!committed && !path.empty())
      ::unlink(path.c_str());
  }
};

// `path`.tmp-<random>, created 0600 with O_EXCL and O_CLOEXEC: mkstemp leaves the
// descriptor (to a file about to hold a private key) open across an exec on another thread,
// e.g. a deploy hook or an exec DNS provider started meanwhile.
void createTemp(const std::string& path, TempFile& tmp) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int attempt = 0; attempt < 16; ++attempt) {
    unsigned char random[8];
    if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
      fail("getrandom for a temporary file next to", path, errno);
    std::string name = path + ".tmp-";
    for (unsigned char r : random)
      name += kAlphabet[r % (sizeof kAlphabet - 1)];
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      tmp.fd = fd;
      tmp.path = std::move(name);
      return;
    }
    if (errno != EEXIST)
      fail("creating a temporary file for", path, errno);
  }
  fail("creating a temporary file for", path, EEXIST);
}

void writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("writing", path, errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
}
}  // namespace

void makeDirs(const std::string& dir, mode_t mode) {
  if (dir.empty())
    return;
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    cur = dir.substr(0, pos);
    if (cur.empty())
      continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
      fail("creating directory", cur, errno);
  }
}

void writeFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                     std::optional<FileOwner> owner) {
  writeFilesAtomic({{path, data}}, mode, owner);
}

void writeFilesAtomic(const std::vector<FileWrite>& files, mode_t mode, std::optional<FileOwner> owner) {
  // Every file is written and flushed beside its target before any target is replaced: a
  // failure (a full disk, a size limit) leaves all the old files in place, and only the
  // renames, which do no I/O that can fail on space, separate the old set from the new.
  std::deque<TempFile> staged;  // a deque never moves its elements (each owns a descriptor)
  for (const auto& f : files) {
    TempFile& tmp = staged.emplace_back();
    createTemp(f.path, tmp);
    // The mode is set before any byte of a private key is written.
    if (::fchmod(tmp.fd, mode) != 0)
      fail("chmod", tmp.path, errno);
    if (owner && ::fchown(tmp.fd, owner->uid, owner->gid) != 0)
      fail("chown", tmp.path, errno);
    writeAll(tmp.fd, f.data, tmp.path);
    if (::fsync(tmp.fd) != 0)
      fail("fsync", tmp.path, errno);
  }
  std::vector<std::string> dirs;
  for (size_t i = 0; i < files.size(); ++i) {
    if (::rename(staged[i].path.c_str(), files[i].path.c_str()) != 0)
      fail("renaming into place", files[i].path, errno);
    staged[i].committed = true;
    std::string dir = dirOf(files[i].path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end())
      dirs.push_back(std::move(dir));
  }
  for (const auto& dir : dirs) {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);  // makes the renames durable; best effort on file systems without it
      ::close(dfd);
    }
  }
}

std::vector<std::string> tempsOf(const std::string& path) {
  const std::string dir = dirOf(path);
  const std::string prefix = path.substr(path.rfind('/') + 1) + ".tmp-";
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    // Exactly createTemp's names: the target's name, ".tmp-", 8 of its characters.
    if (name.size() != prefix.size() + 8 || name.compare(0, prefix.size(), prefix) != 0 ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789", prefix.size()) != std::string::npos)
      continue;
    const std::string full = dir + "/" + name;
    struct stat st {};
    if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      out.push_back(full);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

size_t removeStaleTemps(const std::string& path, std::chrono::seconds olderThan) {
  const auto cutoff = std::chrono::system_clock::now() - olderThan;
  size_t removed = 0;
  for (const auto& temp : tempsOf(path)) {
    struct stat st {};
    if (::lstat(temp.c_str(), &st) == 0 && std::chrono::system_clock::from_time_t(st.st_mtime) < cutoff &&
        ::unlink(temp.c_str()) == 0)
      ++removed;
  }
  return removed;
}

}  // namespace gatehouse::acme
