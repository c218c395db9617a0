#pragma once
// Crash-safe file replacement: write a temporary file in the target's directory, set its
// mode (and owner), fsync it, rename it over the target, fsync the directory. A reader or
// a crash sees the old file or the new one, never a partial one, and the old one is only
// gone once the new one is durable.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::acme {

struct FileOwner {
  uid_t uid;
  gid_t gid;
};

// Throws std::runtime_error naming the path and the failing step.
void writeFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                     std::optional<FileOwner> owner = std::nullopt);

struct FileWrite {
  std::string path;
  std::string_view data;
};

// Replaces several files as one step as far as a failure goes: all are written and fsynced
// to temporary files first, then renamed in order. A failure before the renames leaves
// every old file untouched (a certificate and its key never end up from different
// issuances because the disk filled between them). Throws std::runtime_error.
void writeFilesAtomic(const std::vector<FileWrite>& files, mode_t mode,
                      std::optional<FileOwner> owner = std::nullopt);

// The temporary files (createTemp's exact names, regular files only) beside `path`: a
// writer's in flight, or those a killed writer left.
std::vector<std::string> tempsOf(const std::string& path);

// Removes the temporary files a killed writer left beside `path` (createTemp's exact names,
// regular files only) last modified more than `olderThan` ago: a live writer's temporary
// file exists for milliseconds. Returns how many were removed; never throws.
size_t removeStaleTemps(const std::string& path, std::chrono::seconds olderThan);

// mkdir -p with `mode` for the directories it creates. Throws std::runtime_error.
void makeDirs(const std::string& dir, mode_t mode);

}  // namespace gatehouse::acme
