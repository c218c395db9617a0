#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "gatehouse/parser/caddyfile.h"
#include "gatehouse/parser/config_error.h"

using gatehouse::parser::ConfigError;
using gatehouse::parser::parseCaddyfile;
using gatehouse::parser::ParseOptions;
using gatehouse::parser::replaceEnvVars;
using gatehouse::parser::ServerBlock;

namespace {

std::vector<std::string> keysOf(const ServerBlock& b) {
  std::vector<std::string> out;
  for (const auto& k : b.keys)
    out.push_back(k.text);
  return out;
}

// Each segment as its words joined by spaces.
std::vector<std::string> segmentsOf(const ServerBlock& b) {
  std::vector<std::string> out;
  for (const auto& seg : b.segments) {
    std::string line;
    for (const auto& t : seg)
      line += (line.empty() ? "" : " ") + t.text;
    out.push_back(line);
  }
  return out;
}

std::string errorOf(const std::string& text, const std::string& file = "Caddyfile") {
  try {
    parseCaddyfile(text, file);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

ParseOptions fakeEnv(std::map<std::string, std::string> vars) {
  ParseOptions o;
  o.getenv = [vars](const std::string& name, std::string& value) {
    auto it = vars.find(name);
    if (it == vars.end())
      return false;
    value = it->second;
    return true;
  };
  return o;
}

// A scratch directory removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gh-parse-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    auto p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace

TEST_CASE("parser: blocks, keys and segments") {
  auto blocks = parseCaddyfile(
      "a.com, b.com {\n\trespond hi\n\treverse_proxy {\n\t\tto x\n\t}\n}\nc.com {\n}\n", "Caddyfile");
  REQUIRE(blocks.size() == 2);
  CHECK(keysOf(blocks[0]) == std::vector<std::string>{"a.com", "b.com"});
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"respond hi", "reverse_proxy { to x }"});
  CHECK(blocks[0].hasBraces);
  CHECK(keysOf(blocks[1]) == std::vector<std::string>{"c.com"});
  CHECK(blocks[1].segments.empty());
}

TEST_CASE("parser: keys spanning lines with trailing commas") {
  auto blocks = parseCaddyfile("a.com,\nb.com, c.com\nrespond hi\n", "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(keysOf(blocks[0]) == std::vector<std::string>{"a.com", "b.com", "c.com"});
  CHECK_FALSE(blocks[0].hasBraces);
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"respond hi"});
}

TEST_CASE("parser: global options block and a site without braces") {
  auto blocks = parseCaddyfile("{\n\tdebug\n}\n\nlocalhost\nrespond ok\n", "Caddyfile");
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[0].keys.empty());
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"debug"});
  CHECK(keysOf(blocks[1]) == std::vector<std::string>{"localhost"});
}

TEST_CASE("parser: a file of only an address") {
  auto blocks = parseCaddyfile("localhost\n", "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(keysOf(blocks[0]) == std::vector<std::string>{"localhost"});
}

TEST_CASE("parser: snippets are replayed by import with arguments") {
  auto blocks = parseCaddyfile(
      "(s) {\n\trespond {args[0]} {args.1}\n\theader {args[1:]}\n}\nx.com {\n\timport s a b c\n}\n",
      "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"respond a b", "header b c"});
  const auto& t = blocks[0].segments[0][0];
  CHECK(t.loc.snippetName() == "s");
  REQUIRE(t.loc.importedFrom().size() == 1);
  CHECK(t.loc.importedFrom()[0] == "Caddyfile:6:2");
  CHECK(t.loc.line == 2);
}

TEST_CASE("parser: unknown placeholders and out-of-range args stay") {
  auto blocks = parseCaddyfile("(s) {\n\trespond {env.X} {args[5]} {args[0]}\n}\nx.com {\n\timport s a\n}\n",
                               "Caddyfile");
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"respond {env.X} {args[5]} a"});
}

TEST_CASE("parser: named routes") {
  auto blocks = parseCaddyfile("&(app) {\n\trespond hi\n}\n", "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0].isNamedRoute);
  CHECK(keysOf(blocks[0]) == std::vector<std::string>{"app"});
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"app { respond hi }"});
}

TEST_CASE("parser: block imports with {block} and {blocks.name}") {
  auto blocks = parseCaddyfile(
      "(s) {\n\theader {\n\t\t{block}\n\t}\n}\n(t) {\n\theader {\n\t\t{blocks.a}\n\t}\n\t{blocks.none}\n}\n"
      "x.com {\n\timport s {\n\t\tfoo bar\n\t}\n\timport t {\n\t\ta {\n\t\t\tx y\n\t\t}\n\t}\n}\n",
      "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"header { foo bar }", "header { x y }"});
}

// Caddy 2.6.2 has no import blocks: a '{' after an import of tokens without {block} stays in
// the stream, a block of the last imported directive, as does a '{' that starts a line.
TEST_CASE("parser: an import without {block} leaves its block to the last imported directive") {
  auto blocks =
      parseCaddyfile("(s) {\n\theader X-A\n}\nx.com {\n\timport s {\n\t\tX-B 1\n\t}\n}\n", "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"header X-A { X-B 1 }"});
  blocks = parseCaddyfile("a.com {\n\tfoo\n\t{\n\t}\n}\n", "Caddyfile");
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"foo { }"});
}

// 2.6.2 compares only file names and lines: a snippet defined below the one importing it
// is followed by tokens of lower lines, which read as the same line (one segment).
TEST_CASE("parser: tokens after a snippet defined further down join its last line") {
  auto blocks = parseCaddyfile(
      "(a) {\n\timport b\n\trespond x\n}\n(b) {\n\theader X-B 2\n}\n:80 {\n\timport a\n}\n", "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"header X-B 2 respond x"});
  CHECK_THAT(
      errorOf("(a) {\n\timport b {\n\t\trespond hi\n\t}\n}\n:80 {\n\timport a\n}\n(b) {\n\t{block}\n}\n"),
      Catch::Contains("Caddyfile:2:9: File to import not found: b"));
}

TEST_CASE("parser: anonymous import blocks are refused") {
  CHECK_THAT(errorOf("(s) {\n\t{block}\n}\nx {\n\timport s {\n\t\t{\n\t\t\tfoo\n\t\t}\n\t}\n}\n"),
             Catch::Contains("anonymous blocks are not supported"));
}

TEST_CASE("parser: import cycles") {
  CHECK_THAT(
      errorOf("(import1) {\n\timport import2\n}\n\n(import2) {\n\timport import1\n}\n\nimport import1\n"),
      Catch::Contains("a cycle of imports exists between Caddyfile:import2 and Caddyfile:import1"));
}

TEST_CASE("parser: file imports are relative to the importing file") {
  TempDir dir;
  dir.write("conf/site.caddy", "respond \"{args[0]} {args[1]}\"\nimport more/*.caddy\n");
  dir.write("conf/more/a.caddy", "header a\n");
  dir.write("conf/more/.hidden.caddy", "header hidden\n");
  const std::string main =
      dir.write("Caddyfile", "x.com {\n\timport conf/site.caddy one two\n\timport nothing/*.caddy\n}\n");
  auto blocks =
      parseCaddyfile("x.com {\n\timport conf/site.caddy one two\n\timport nothing/*.caddy\n}\n", main);
  REQUIRE(blocks.size() == 1);
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"respond one two", "header a"});
  CHECK(blocks[0].segments[0][0].loc.file() == (dir.path / "conf/site.caddy").string());
  // Tokens read from a file start a fresh chain, even when that file was itself imported.
  CHECK(blocks[0].segments[1][0].loc.importedFrom().size() == 1);
}

TEST_CASE("parser: a missing import file is an error") {
  TempDir dir;
  const std::string main = dir.write("Caddyfile", "");
  try {
    parseCaddyfile("x.com {\n\timport missing.caddy\n}\n", main);
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(e.message() == "File to import not found: missing.caddy");
    CHECK(e.location().line == 2);
  }
}

TEST_CASE("parser: env vars are replaced before lexing") {
  auto opts = fakeEnv({{"HOST", "a.com b.com"}, {"EMPTY", ""}});
  auto blocks =
      parseCaddyfile("{$HOST} {\n\trespond {$MISSING:dflt:x}{$EMPTY} {$NONE}\n}\n", "Caddyfile", opts);
  REQUIRE(blocks.size() == 1);
  CHECK(keysOf(blocks[0]) == std::vector<std::string>{"a.com", "b.com"});
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"respond dflt:x"});
  CHECK(replaceEnvVars("{$}{$A}", fakeEnv({{"A", "{$A}"}})) == "{$}{$A}");
}

TEST_CASE("parser: structural errors carry Caddy's wording and position") {
  struct Case {
    std::string input, message;
  };
  const std::vector<Case> cases = {
      {"a.com {\n\trespond {\n", "Caddyfile:2:10: unexpected EOF"},
      {"a.com {\n\tfoo }\n}\n", "Unexpected '}' because no matching opening brace"},
      {"a.com{\n}\n", "Caddyfile:1:1: Site addresses cannot end with a curly brace: 'a.com{'"},
      {"a.com,b.com {\n}\n", "Site addresses cannot contain a comma ','"},
      {"a.com, {\n}\n", "Expected another address but had '{' - check for extra comma"},
      {"@m path /x\n", "request matchers may not be defined globally"},
      {"(s) {\n}\n(s) {\n}\n", "Caddyfile:3:5: redeclaration of previously declared snippet s"},
      {"a.com {\n\timport\n}\n", "wrong argument count or unexpected line ending after 'import'"},
      {"a.com {\n\timport \"\"\n}\n", "Import requires a non-empty filepath"},
      {"a.com {\n\tfoo { bar\n\t}\n}\n", "Unexpected next token after '{' on same line"},
      {"a.com {\n\tfoo {}\n}\n", "Unexpected '{}' at end of line"},
      {"(s)\nx\n", "syntax error: unexpected token 'x', expecting '{'"},
      {"a.com {\n\timport a/*/*\n}\n", "Glob pattern may only contain one wildcard (*), but has others"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK_THAT(errorOf(c.input), Catch::Contains(c.message));
  }
}

TEST_CASE("parser: quoted braces are arguments, not structure") {
  auto blocks = parseCaddyfile(":8080 {\n\theader X-Open \"{\"\n\theader X-Close \"}\"\n\trespond \"{\"\n}\n",
                               "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(segmentsOf(blocks[0]) ==
        std::vector<std::string>{"header X-Open {", "header X-Close }", "respond {"});
  // ... also inside snippets, whose end is found by counting braces.
  blocks = parseCaddyfile("(s) {\n\trespond \"}\"\n}\nx {\n\timport s\n}\n", "Caddyfile");
  REQUIRE(blocks.size() == 1);
  CHECK(segmentsOf(blocks[0]) == std::vector<std::string>{"respond }"});
}
