#include "http/content_type.h"

#include <array>
#include <utility>

namespace gatehouse::http {

namespace {
// Go's builtin table (mime/type.go) plus common web types found in /etc/mime.types.
constexpr std::array<std::pair<std::string_view, std::string_view>, 38> kTypes = {{
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
    {".txt", "text/plain; charset=utf-8"},
    {".ico", "image/vnd.microsoft.icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".otf", "font/otf"},
    {".mp4", "video/mp4"},
    {".webm", "video/webm"},
    {".mp3", "audio/mpeg"},
    {".ogg", "audio/ogg"},
    {".wav", "audio/x-wav"},
    {".zip", "application/zip"},
    {".gz", "application/gzip"},
    {".tar", "application/x-tar"},
    {".csv", "text/csv; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".xhtml", "application/xhtml+xml"},
    {".bmp", "image/bmp"},
    {".tif", "image/tiff"},
    {".tiff", "image/tiff"},
}};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool startsWithFold(std::string_view data, std::string_view prefix) {
  if (data.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(data[i]) != lower(prefix[i])) {
      return false;
    }
  }
  return true;
}
}  // namespace

std::string_view contentTypeByExtension(std::string_view name) {
  size_t slash = name.rfind('/');
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return {};
  }
  std::string ext(name.substr(dot));
  for (char& c : ext) {
    c = lower(c);
  }
  for (const auto& [e, t] : kTypes) {
    if (e == ext) {
      return t;
    }
  }
  return {};
}

std::string_view sniffContentType(std::string_view data) {
  if (data.size() > 512) {
    data = data.substr(0, 512);
  }
  std::string_view ws = data;
  while (!ws.empty() && (ws.front() == ' ' || ws.front() == '\t' || ws.front() == '\n' || ws.front() == '\r' ||
                         ws.front() == '\f')) {
    ws.remove_prefix(1);
  }
  static constexpr std::array<std::string_view, 17> kHtml = {
      "<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT", "<TABLE",
      "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--"};
  for (auto sig : kHtml) {
    if (startsWithFold(ws, sig) && ws.size() > sig.size() && (ws[sig.size()] == ' ' || ws[sig.size()] == '>')) {
      return "text/html; charset=utf-8";
    }
  }
  if (ws.starts_with("<?xml")) {
    return "text/xml; charset=utf-8";
  }
  if (data.starts_with("%PDF-")) {
    return "application/pdf";
  }
  if (data.starts_with("GIF87a") || data.starts_with("GIF89a")) {
    return "image/gif";
  }
  if (data.starts_with("\x89PNG\x0D\x0A\x1A\x0A")) {
    return "image/png";
  }
  if (data.starts_with("\xFF\xD8\xFF")) {
    return "image/jpeg";
  }
  if (data.starts_with("\xEF\xBB\xBF")) {
    return "text/plain; charset=utf-8";
  }
  if (data.starts_with("\x1F\x8B\x08")) {
    return "application/x-gzip";
  }
  if (data.starts_with(std::string_view("PK\x03\x04", 4))) {
    return "application/zip";
  }
  for (char ch : data) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1A) || (c >= 0x1C && c <= 0x1F)) {
      return "application/octet-stream";
    }
  }
  return "text/plain; charset=utf-8";
}

}  // namespace gatehouse::http
