#include "http/mime_table.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

using gatehouse::http::MimeTable;

// Expected values were read from caddy 2.6.2 (Go 1.19.8) serving files of each extension
// from a machine with shared-mime-info's globs2 and media-types' /etc/mime.types.
TEST_CASE("mime table: Go's built-ins win over globs2, the first glob of an extension wins") {
  MimeTable t;
  t.addGlobs(
      "# comment\n"
      "80:application/javascript:*.js\n"       // a built-in: Go keeps its own
      "50:text/vnd.trolltech.linguist:*.ts\n"  // first seen wins (weight order)
      "50:video/mp2t:*.ts\n"
      "50:text/x-c++src:*.C:cs\n"  // case-sensitive glob
      "50:text/x-csrc:*.c\n"
      "50:application/x-yaml:*.yaml\n"
      "50:text/X-Upper:*.up\n"          // text types lower-cased with a charset
      "50:application/x-glob:*.[ch]\n"  // real globs are ignored
      "50:application/x-core:core\n"    // not '*.'
      "50:application/x-short:*.\n");
  CHECK(t.lookup(".js") == "text/javascript; charset=utf-8");
  CHECK(t.lookup(".JS") == "text/javascript; charset=utf-8");
  CHECK(t.lookup(".ts") == "text/vnd.trolltech.linguist; charset=utf-8");
  CHECK(t.lookup(".C") == "text/x-c++src; charset=utf-8");
  CHECK(t.lookup(".c") == "text/x-csrc; charset=utf-8");
  CHECK(t.lookup(".yaml") == "application/x-yaml");
  CHECK(t.lookup(".YAML") == "application/x-yaml");
  CHECK(t.lookup(".up") == "text/x-upper; charset=utf-8");
  CHECK(t.lookup(".[ch]").empty());
  CHECK(t.lookup(".webmanifest").empty());
  CHECK(t.lookup("").empty());
  CHECK(t.lookup(".").empty());
}

TEST_CASE("mime table: mime.types entries replace earlier ones, comments end a line") {
  MimeTable t;
  t.addTypes(
      "# application/x-commented  cm\n"
      "application/manifest+json\twebmanifest\n"
      "text/javascript   es js mjs # trailing\n"
      "text/markdown md markdown\n"
      "application/x-only\n"
      "audio/x-wav wav\n"
      "audio/wav wav\n");
  CHECK(t.lookup(".webmanifest") == "application/manifest+json");
  CHECK(t.lookup(".es") == "text/javascript; charset=utf-8");
  CHECK(t.lookup(".md") == "text/markdown; charset=utf-8");
  CHECK(t.lookup(".wav") == "audio/wav");
  CHECK(t.lookup(".cm").empty());
  CHECK(t.lookup(".#").empty());
}

TEST_CASE("mime table: a globs2 file stops the mime.types files from being read") {
  const std::string globs = "/tmp/gatehouse-mime-test-globs2", types = "/tmp/gatehouse-mime-test-types";
  std::ofstream(types) << "application/x-from-types ft\n";
  MimeTable onlyTypes;
  onlyTypes.addFiles({"/nonexistent/globs2"}, {types});
  CHECK(onlyTypes.lookup(".ft") == "application/x-from-types");

  std::ofstream(globs) << "50:application/x-from-globs:*.fg\n";
  MimeTable withGlobs;
  withGlobs.addFiles({"/nonexistent/globs2", globs}, {types});
  CHECK(withGlobs.lookup(".fg") == "application/x-from-globs");
  CHECK(withGlobs.lookup(".ft").empty());
  std::remove(globs.c_str());
  std::remove(types.c_str());
}
