#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/content_type.h"

using gatehouse::http::sniffContentType;
using gatehouse::http::wantsSniffedType;
using namespace std::string_view_literals;

// Every expected type below was read from caddy 2.6.2 proxying an upstream body of exactly
// these bytes with a Content-Length and no Content-Type (Go's http.DetectContentType).
TEST_CASE("content sniffing: Go's signature table as caddy 2.6.2 answers it") {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"hello"sv, "text/plain; charset=utf-8"},
      {"<html>"sv, "text/html; charset=utf-8"},
      {"<HtMl>"sv, "text/html; charset=utf-8"},
      {"  <p>x"sv, "text/html; charset=utf-8"},
      {"<!-- x"sv, "text/html; charset=utf-8"},
      {"<br/"sv, "text/plain; charset=utf-8"},
      {"<?xml"sv, "text/xml; charset=utf-8"},
      {"%PDF-"sv, "application/pdf"},
      {"%!PS-Adobe-"sv, "application/postscript"},
      {"\xEF\xBB\xBF"
       "A"sv,
       "text/plain; charset=utf-8"},
      {"\xFE\xFF"
       "A\x00"sv,
       "text/plain; charset=utf-16be"},
      {"\xFF\xFE"
       "A\x00"sv,
       "text/plain; charset=utf-16le"},
      {"\x00\x00\x01\x00"sv, "image/x-icon"},
      {"BM"sv, "image/bmp"},
      {"GIF89a"sv, "image/gif"},
      {"RIFF\x00\x00\x00\x00WEBPVP8 "sv, "image/webp"},
      {"\x89PNG\x0D\x0A\x1A\x0A"sv, "image/png"},
      {"\xFF\xD8\xFF\xE0"sv, "image/jpeg"},
      {".snd"sv, "text/plain; charset=utf-8"},  // no audio/basic in caddy 2.6.2's Go
      {"FORM\x00\x00\x00\x00"
       "AIFF"sv,
       "audio/aiff"},
      {"ID3"sv, "audio/mpeg"},
      {"OggS\x00"sv, "application/ogg"},
      {"MThd\x00\x00\x00\x06"sv, "audio/midi"},
      {"RIFF\x00\x00\x00\x00"
       "AVI "sv,
       "video/avi"},
      {"RIFF\x00\x00\x00\x00WAVE"sv, "audio/wave"},
      {"\x00\x00\x00\x14"
       "ftypmp42\x00\x00\x00\x00isom"sv,
       "video/mp4"},
      {"\x00\x00\x00\x14"
       "ftypisom\x00\x00\x00\x00mp41"sv,
       "video/mp4"},
      {"\x00\x00\x00\x10"
       "ftypmp42\x00\x00\x00\x00"sv,
       "video/mp4"},
      {"\x00\x00\x00\x18"
       "ftypmp42\x00\x00\x00\x00mp42"sv,
       "application/octet-stream"},  // box longer than data
      {"\x1A\x45\xDF\xA3"sv, "video/webm"},
      {"\x00\x01\x00\x00"sv, "font/ttf"},
      {"OTTO"sv, "font/otf"},
      {"ttcf"sv, "font/collection"},
      {"wOF2"sv, "font/woff2"},
      {"\x1F\x8B\x08"sv, "application/x-gzip"},
      {"PK\x03\x04"sv, "application/zip"},
      {"Rar!\x1A\x07\x00"sv, "application/x-rar-compressed"},
      {"Rar!\x1A\x07\x01\x00"sv, "application/x-rar-compressed"},
      {"\x00"
       "asm"sv,
       "application/wasm"},
      {"\x00\x00\x00"sv, "application/octet-stream"},
      {"\n\x01"sv, "application/octet-stream"},
      {". "sv, "text/plain; charset=utf-8"},
  };
  for (const auto& [data, type] : cases) {
    INFO("data: " << std::string(data));
    CHECK(sniffContentType(data) == type);
  }
}

TEST_CASE("content sniffing: only the first 512 bytes count") {
  std::string text(512, 'a');
  CHECK(sniffContentType(text + '\x01') == "text/plain; charset=utf-8");
  CHECK(sniffContentType(std::string(511, 'a') + '\x01') == "application/octet-stream");
}

TEST_CASE("content sniffing: which responses Go's server sniffs") {
  gatehouse::runtime::Response res;
  CHECK(wantsSniffedType(res, true));
  CHECK_FALSE(wantsSniffedType(res, false));  // 204, 304, 1xx
  res.sniff = false;                          // head flushed before the body
  CHECK_FALSE(wantsSniffedType(res, true));
  res.sniff = true;
  res.headers.add("Content-Encoding", "gzip");
  CHECK_FALSE(wantsSniffedType(res, true));
  res.headers.remove("Content-Encoding");
  res.headers.add("Content-Type", "text/css");
  CHECK_FALSE(wantsSniffedType(res, true));
}
