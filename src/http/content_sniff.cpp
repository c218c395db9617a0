// Content sniffing as Go's http.DetectContentType, which Go's server applies to every
// response body that has no Content-Type field (so Caddy's responses, proxied ones too):
// the WHATWG MIME sniffing signatures over the first 512 bytes, text/plain for anything
// without binary bytes, application/octet-stream for the rest.
#include <array>
#include <cstdint>

#include "http/content_type.h"

namespace gatehouse::http {

namespace {

bool isSniffSpace(unsigned char c) {
  return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

// An HTML tag opening the content (after blanks), any case, followed by a space or '>'.
bool htmlTag(std::string_view ws, std::string_view tag) {
  if (ws.size() < tag.size() + 1) {
    return false;
  }
  for (size_t i = 0; i < tag.size(); ++i) {
    char c = ws[i];
    if (tag[i] >= 'A' && tag[i] <= 'Z' && c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 32);
    }
    if (c != tag[i]) {
      return false;
    }
  }
  return ws[tag.size()] == ' ' || ws[tag.size()] == '>';
}

// `pattern` where `mask` has 0xFF bytes; a 0x00 mask byte matches anything. The data must
// be at least as long as the pattern.
bool masked(std::string_view data, std::string_view pattern, std::string_view mask) {
  if (data.size() < pattern.size()) {
    return false;
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    if ((static_cast<unsigned char>(data[i]) & static_cast<unsigned char>(mask[i])) !=
        static_cast<unsigned char>(pattern[i])) {
      return false;
    }
  }
  return true;
}

struct Signature {
  std::string_view pattern;
  std::string_view mask;  // empty: every byte must match
  std::string_view type;
};

using namespace std::string_view_literals;

// In the order Go tries them (after the HTML and XML checks, before text). As the Go release
// caddy 2.6.2 is built with: no audio/basic (".snd") nor vnd.ms-fontobject signature.
constexpr std::array<Signature, 29> kSignatures = {{
    {"%PDF-"sv, {}, "application/pdf"},
    {"%!PS-Adobe-"sv, {}, "application/postscript"},
    {"\xFE\xFF\x00\x00"sv, "\xFF\xFF\x00\x00"sv, "text/plain; charset=utf-16be"},
    {"\xFF\xFE\x00\x00"sv, "\xFF\xFF\x00\x00"sv, "text/plain; charset=utf-16le"},
    {"\xEF\xBB\xBF\x00"sv, "\xFF\xFF\xFF\x00"sv, "text/plain; charset=utf-8"},
    {"\x00\x00\x01\x00"sv, {}, "image/x-icon"},
    {"\x00\x00\x02\x00"sv, {}, "image/x-icon"},
    {"BM"sv, {}, "image/bmp"},
    {"GIF87a"sv, {}, "image/gif"},
    {"GIF89a"sv, {}, "image/gif"},
    {"RIFF\x00\x00\x00\x00WEBPVP"sv, "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF"sv,
     "image/webp"},
    {"\x89PNG\x0D\x0A\x1A\x0A"sv, {}, "image/png"},
    {"\xFF\xD8\xFF"sv, {}, "image/jpeg"},
    {"FORM\x00\x00\x00\x00"
     "AIFF"sv,
     "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF"sv, "audio/aiff"},
    {"ID3"sv, {}, "audio/mpeg"},
    {"OggS\x00"sv, {}, "application/ogg"},
    {"MThd\x00\x00\x00\x06"sv, {}, "audio/midi"},
    {"RIFF\x00\x00\x00\x00"
     "AVI "sv,
     "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF"sv, "video/avi"},
    {"RIFF\x00\x00\x00\x00WAVE"sv, "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF"sv, "audio/wave"},
    // (video/mp4 is checked here, by its box structure: see mp4)
    {"\x1A\x45\xDF\xA3"sv, {}, "video/webm"},
    {"\x00\x01\x00\x00"sv, {}, "font/ttf"},
    {"OTTO"sv, {}, "font/otf"},
    {"ttcf"sv, {}, "font/collection"},
    {"wOFF"sv, {}, "font/woff"},
    {"wOF2"sv, {}, "font/woff2"},
    {"\x1F\x8B\x08"sv, {}, "application/x-gzip"},
    {"PK\x03\x04"sv, {}, "application/zip"},
    {"Rar!\x1A\x07\x00"sv, {}, "application/x-rar-compressed"},
    {"Rar!\x1A\x07\x01\x00"sv, {}, "application/x-rar-compressed"},
}};

constexpr size_t kMp4Before = 19;  // the signatures before video/mp4 (index of webm)

uint32_t bigEndian32(std::string_view d) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(d[0])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(d[1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(d[2])) << 8) | static_cast<unsigned char>(d[3]);
}

// An ISO BMFF "ftyp" box naming an mp4 brand (the major brand's version word skipped).
bool mp4(std::string_view d) {
  if (d.size() < 12) {
    return false;
  }
  const uint32_t box = bigEndian32(d);
  if (d.size() < box || box % 4 != 0 || d.substr(4, 4) != "ftyp") {
    return false;
  }
  for (size_t at = 8; at + 3 <= box; at += 4) {
    if (at != 12 && d.substr(at, 3) == "mp4") {
      return true;
    }
  }
  return false;
}

bool matches(std::string_view data, const Signature& sig) {
  if (sig.mask.empty()) {
    return data.substr(0, sig.pattern.size()) == sig.pattern;
  }
  return masked(data, sig.pattern, sig.mask);
}

}  // namespace

bool wantsSniffedType(const runtime::Response& res, bool bodyAllowed) {
  return bodyAllowed && res.sniff && !res.headers.has("Content-Type") &&
         res.headers.get("Content-Encoding").empty();
}

bool sniffNeedsMore(const runtime::Response& res, size_t held, bool eof) {
  return !eof && held < kSniffLength && wantsSniffedType(res, true);
}

std::string_view sniffContentType(std::string_view data) {
  data = data.substr(0, kSniffLength);
  std::string_view ws = data;
  while (!ws.empty() && isSniffSpace(static_cast<unsigned char>(ws.front()))) {
    ws.remove_prefix(1);
  }
  static constexpr std::array<std::string_view, 17> kHtml = {
      "<!DOCTYPE HTML", "<HTML",  "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT", "<TABLE", "<A",
      "<STYLE",         "<TITLE", "<B",    "<BODY",   "<BR",     "<P",  "<!--"};
  for (auto tag : kHtml) {
    if (htmlTag(ws, tag)) {
      return "text/html; charset=utf-8";
    }
  }
  if (ws.starts_with("<?xml")) {
    return "text/xml; charset=utf-8";
  }
  for (size_t i = 0; i < kSignatures.size(); ++i) {
    if (i == kMp4Before && mp4(data)) {
      return "video/mp4";
    }
    if (matches(data, kSignatures[i])) {
      return kSignatures[i].type;
    }
  }
  if (data.substr(0, 4) == "\x00\x61\x73\x6D"sv) {
    return "application/wasm";
  }
  for (char ch : ws) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1A) || (c >= 0x1C && c <= 0x1F)) {
      return "application/octet-stream";
    }
  }
  return "text/plain; charset=utf-8";
}

}  // namespace gatehouse::http
