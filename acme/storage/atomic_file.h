#pragma once
// Crash-safe file replacement: write a temporary file in the target's directory, set its
// mode (and owner), fsync it, rename it over the target, fsync the directory. A reader or
// a crash sees the old file or the new one, never a partial one, and the old one is only
// gone once the new one is durable.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::acme {

struct FileOwner {
  uid_t uid;
  gid_t gid;
};

// Throws std::runtime_error naming the path and the failing step.
void writeFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                     std::optional<FileOwner> owner = std::nullopt);

// mkdir -p with `mode` for the directories it creates. Throws std::runtime_error.
void makeDirs(const std::string& dir, mode_t mode);

}  // namespace gatehouse::acme
