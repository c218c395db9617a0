#include "http/mime_table.h"

#include <array>
#include <fstream>
#include <sstream>
#include <utility>

namespace gatehouse::http {

namespace {

// Go 1.19's builtinTypesLower (mime/type.go), the version caddy 2.6.2 is built with.
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kBuiltins = {{
    {".avif", "image/avif"},
    {".css", "text/css; charset=utf-8"},
    {".gif", "image/gif"},
    {".htm", "text/html; charset=utf-8"},
    {".html", "text/html; charset=utf-8"},
    {".jpeg", "image/jpeg"},
    {".jpg", "image/jpeg"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".pdf", "application/pdf"},
    {".png", "image/png"},
    {".svg", "image/svg+xml"},
    {".wasm", "application/wasm"},
    {".webp", "image/webp"},
    {".xml", "text/xml; charset=utf-8"},
}};

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + ('a' - 'A'));
    }
  }
  return out;
}

bool isTokenChar(char c) {
  if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
    return false;
  }
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool isToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!isTokenChar(c)) {
      return false;
    }
  }
  return true;
}

// Go's setExtensionType first parses the type (ParseMediaType); the files hold bare
// "type/subtype" values, so anything else (parameters included) is skipped here, which
// only ever drops lines Go would also reject or that no real file has.
bool plainMediaType(std::string_view t) {
  size_t slash = t.find('/');
  return slash != std::string_view::npos && isToken(t.substr(0, slash)) && isToken(t.substr(slash + 1));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) {
      return out;
    }
    start = at + 1;
  }
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      ++i;
    }
    if (i > start) {
      out.push_back(line.substr(start, i - start));
    }
  }
  return out;
}

template <typename Fn>
void eachLine(std::string_view text, Fn fn) {
  for (std::string_view line : split(text, '\n')) {
    fn(line);
  }
}

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  out = buf.str();
  return true;
}

}  // namespace

MimeTable::MimeTable() {
  for (const auto& [ext, type] : kBuiltins) {
    exact_.emplace(ext, type);
    lower_.emplace(ext, type);
  }
}

const MimeTable& MimeTable::system() {
  // Built once, on first use, as Go's sync.Once; immutable afterwards.
  static const MimeTable table = [] {
    MimeTable t;
    t.addFiles({"/usr/local/share/mime/globs2", "/usr/share/mime/globs2"},
               {"/etc/mime.types", "/etc/apache2/mime.types", "/etc/apache/mime.types",
                "/etc/httpd/conf/mime.types"});
    return t;
  }();
  return table;
}

void MimeTable::set(std::string_view ext, std::string_view type) {
  if (!plainMediaType(type)) {
    return;
  }
  std::string value(type);
  if (value.starts_with("text/")) {
    value = lowerAscii(value) + "; charset=utf-8";  // Go's FormatMediaType lower-cases it
  }
  exact_[std::string(ext)] = value;
  lower_[lowerAscii(ext)] = std::move(value);
}

void MimeTable::addGlobs(std::string_view text) {
  eachLine(text, [this](std::string_view line) {
    auto f = split(line, ':');
    if (f.size() < 3 || f[0].empty() || f[2].size() < 3 || f[0][0] == '#' || f[2][0] != '*' ||
        f[2][1] != '.') {
      return;
    }
    std::string_view ext = f[2].substr(1);
    if (ext.find_first_of("?*[") != std::string_view::npos || exact_.contains(std::string(ext))) {
      return;  // a real glob, or an extension already typed (the file is in weight order)
    }
    set(ext, f[1]);
  });
}

void MimeTable::addTypes(std::string_view text) {
  eachLine(text, [this](std::string_view line) {
    auto f = fields(line);
    if (f.size() <= 1 || f[0][0] == '#') {
      return;
    }
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i][0] == '#') {
        break;
      }
      set("." + std::string(f[i]), f[0]);
    }
  });
}

void MimeTable::addFiles(const std::vector<std::string>& globFiles,
                         const std::vector<std::string>& typeFiles) {
  std::string text;
  for (const auto& path : globFiles) {
    if (readFile(path, text)) {
      addGlobs(text);
      return;  // Go stops at the first shared-mime-info database
    }
  }
  for (const auto& path : typeFiles) {
    if (readFile(path, text)) {
      addTypes(text);
    }
  }
}

std::string_view MimeTable::lookup(std::string_view ext) const {
  if (auto it = exact_.find(std::string(ext)); it != exact_.end()) {
    return it->second;
  }
  if (auto it = lower_.find(lowerAscii(ext)); it != lower_.end()) {
    return it->second;
  }
  return {};
}

}  // namespace gatehouse::http
