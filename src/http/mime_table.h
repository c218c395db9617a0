#pragma once
// The extension -> media type table Go's mime.TypeByExtension builds, which Caddy's
// file_server uses: Go's built-in entries, then the first shared-mime-info `globs2` file
// found (plain `*.ext` globs only, an extension seen first keeps its type, built-ins
// included), or, when there is none, every Apache-style `mime.types` file (later entries
// replace earlier ones). `text/*` types get `; charset=utf-8`. Lookup is case-sensitive
// first, then by the lower-cased extension, as Go's.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gatehouse::http {

class MimeTable {
 public:
  MimeTable();  // Go's built-in entries only

  // The table of this machine, read once (Go reads the same files, in the same order).
  static const MimeTable& system();

  // Adds one globs2 file's text ("weight:type:glob[:flags]" lines).
  void addGlobs(std::string_view text);
  // Adds one mime.types file's text ("type ext ext ..." lines, '#' comments).
  void addTypes(std::string_view text);
  // Reads the first globs2 file that opens, else every mime.types file that opens.
  void addFiles(const std::vector<std::string>& globFiles, const std::vector<std::string>& typeFiles);

  // `ext` with its dot (".html"); "" when unknown.
  std::string_view lookup(std::string_view ext) const;

 private:
  void set(std::string_view ext, std::string_view type);

  std::unordered_map<std::string, std::string> exact_;
  std::unordered_map<std::string, std::string> lower_;
};

}  // namespace gatehouse::http
