#include "service/file_deployer.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "storage/atomic_file.h"

namespace gatehouse::acme {

namespace {
std::optional<FileOwner> resolveOwner(const CertificateTarget& t) {
  if (t.ownerUser.empty())
    return std::nullopt;
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* pwp = nullptr;
  if (getpwnam_r(t.ownerUser.c_str(), &pw, buf.data(), buf.size(), &pwp) != 0 || pwp == nullptr) {
    throw std::runtime_error("unknown user '" + t.ownerUser + "'");
  }
  FileOwner owner{pw.pw_uid, pw.pw_gid};
  if (!t.ownerGroup.empty()) {
    struct group gr {};
    struct group* grp = nullptr;
    if (getgrnam_r(t.ownerGroup.c_str(), &gr, buf.data(), buf.size(), &grp) != 0 || grp == nullptr) {
      throw std::runtime_error("unknown group '" + t.ownerGroup + "'");
    }
    owner.gid = gr.gr_gid;
  }
  return owner;
}

bool upToDate(const std::string& path, const std::string& content, mode_t mode,
              std::optional<FileOwner> owner) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 07777) != mode)
    return false;
  if (owner && (st.st_uid != owner->uid || st.st_gid != owner->gid))
    return false;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return in.good() && ss.str() == content;
}

bool writeIfChanged(const std::string& path, const std::string& content, mode_t mode,
                    std::optional<FileOwner> owner) {
  if (upToDate(path, content, mode, owner))
    return false;
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0)
    makeDirs(path.substr(0, slash), 0755);
  writeFileAtomic(path, content, mode, owner);
  return true;
}
}  // namespace

bool deployFiles(const CertificateTarget& target, const std::string& chainPem, const std::string& keyPem) {
  const auto owner = resolveOwner(target);
  // The key first: a reader that sees the new chain must find its key already in place.
  const bool keyChanged = writeIfChanged(target.privkeyPath, keyPem, target.mode.value_or(0600), owner);
  const bool chainChanged = writeIfChanged(target.fullchainPath, chainPem, target.mode.value_or(0644), owner);
  return keyChanged || chainChanged;
}

}  // namespace gatehouse::acme
