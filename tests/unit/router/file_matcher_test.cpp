// The file matcher's try policies and "=NNN" entries (Caddy 2.6's MatchFile).
#include <sys/stat.h>
#include <sys/time.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gatehouse/config/site_graph.h"
#include "provision/runtime.h"
#include "router/matcher_error.h"
#include "router/matchers.h"
#include "router/placeholders.h"

using gatehouse::config::Json;
using gatehouse::router::compileMatcherSet;
using gatehouse::runtime::Exchange;
namespace fs = std::filesystem;

namespace {

struct Site {
  fs::path root;
  Site() {
    char tmpl[] = "/tmp/gatehouse-file-matcher-XXXXXX";
    root = mkdtemp(tmpl);
    write("small.txt", "a", 1000);
    write("big.txt", "aaaaaaaaaa", 2000);
    write("mid.txt", "aaaaa", 3000);
    fs::create_directory(root / "dir");
  }
  ~Site() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void write(const std::string& name, const std::string& body, long mtime) const {
    std::ofstream(root / name) << body;
    timeval times[2] = {{mtime, 0}, {mtime, 0}};
    utimes((root / name).c_str(), times);
  }
};

Exchange get(const std::string& path) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.path = path;
  ex.request.rawPath = path;
  return ex;
}

std::string relative(Exchange& ex) {
  return gatehouse::router::Template("{http.matchers.file.relative}").render(ex);
}

bool matchFile(const Site& site, Json file, Exchange& ex) {
  file["root"] = site.root.string();
  return compileMatcherSet(Json{{"file", file}}, "m").match(ex);
}

}  // namespace

TEST_CASE("file matcher try policies pick by size and age", "[router]") {
  Site site;
  const Json files = {"/small.txt", "/nope", "/big.txt", "/mid.txt"};
  Exchange ex = get("/");
  REQUIRE(matchFile(site, {{"try_files", files}}, ex));
  CHECK(relative(ex) == "/small.txt");
  REQUIRE(matchFile(site, {{"try_files", files}, {"try_policy", "largest_size"}}, ex));
  CHECK(relative(ex) == "/big.txt");
  REQUIRE(matchFile(site, {{"try_files", files}, {"try_policy", "smallest_size"}}, ex));
  CHECK(relative(ex) == "/small.txt");
  REQUIRE(matchFile(site, {{"try_files", files}, {"try_policy", "most_recently_modified"}}, ex));
  CHECK(relative(ex) == "/mid.txt");
  CHECK_FALSE(matchFile(site, {{"try_files", {"/nope"}}, {"try_policy", "largest_size"}}, ex));
  CHECK_THROWS_WITH(matchFile(site, {{"try_files", files}, {"try_policy", "random"}}, ex),
                    Catch::Contains("m.file.try_policy"));
}

TEST_CASE("file matcher =NNN fails the route when no earlier entry exists", "[router]") {
  Site site;
  Exchange found = get("/small.txt");
  CHECK(matchFile(site, {{"try_files", {"{http.request.uri.path}", "=404"}}}, found));
  CHECK_FALSE(gatehouse::router::takeMatcherError(found));

  Exchange missing = get("/gone");
  CHECK_FALSE(matchFile(site, {{"try_files", {"{http.request.uri.path}", "=502", "/small.txt"}}}, missing));
  auto err = gatehouse::router::takeMatcherError(missing);
  REQUIRE(err);
  CHECK(err->status == 502);
  CHECK(err->message == "502");
  CHECK(gatehouse::router::Template("{http.matchers.file.relative}|{http.vars.matchers.error}")
            .render(missing) == "|");

  // Not a status (out of range, not a number): an ordinary file name that does not exist.
  Exchange odd = get("/gone");
  CHECK(matchFile(site, {{"try_files", {"=99", "=4x4", "/small.txt"}}}, odd));
  CHECK_FALSE(gatehouse::router::takeMatcherError(odd));

  // Other policies treat "=404" as a file name, as Caddy 2.6 does.
  Exchange sized = get("/gone");
  CHECK_FALSE(matchFile(site, {{"try_files", {"/gone", "=404"}}, {"try_policy", "smallest_size"}}, sized));
  CHECK_FALSE(gatehouse::router::takeMatcherError(sized));
}

TEST_CASE("a route whose file matcher short-circuits ends the chain with its error", "[router]") {
  Site site;
  const std::string routes = R"([{"match":[{"file":{"root":")" + site.root.string() +
                             R"(","try_files":["{http.request.uri.path}","=404"]}}],
      "handle":[{"handler":"static_response","body":"found"}]},
      {"handle":[{"handler":"static_response","body":"fallback"}]}])";
  auto rt = gatehouse::provision::provisionRuntime(gatehouse::config::configFromJson(
      Json::parse(R"({"apps":{"http":{"servers":{"srv0":{"listen":[":0"],"routes":)" + routes + "}}}}}")));
  Exchange ex = get("/gone");
  rt->servers[0]->routes.run(ex);
  CHECK(ex.response.status == 404);
  CHECK(ex.error.status == 404);
  CHECK(ex.response.body.empty());
  CHECK_FALSE(gatehouse::router::takeMatcherError(ex));
}

TEST_CASE("file matcher globs literal patterns; placeholder values stay literal", "[router]") {
  Site site;
  Exchange lit = get("/");
  REQUIRE(matchFile(site, {{"try_files", {"/*.txt"}}}, lit));
  CHECK(relative(lit) == "/big.txt");  // lexical order, as Go's fs.Glob
  Exchange prefix = get("/m");
  REQUIRE(matchFile(site, {{"try_files", {"{http.request.uri.path}*.txt"}}}, prefix));
  CHECK(relative(prefix) == "/mid.txt");
  Exchange star = get("/*");
  CHECK_FALSE(matchFile(site, {{"try_files", {"{http.request.uri.path}.txt"}}}, star));
  Exchange largest = get("/");
  REQUIRE(
      matchFile(site, {{"try_files", {"/s*.txt", "/[bm]*.txt"}}, {"try_policy", "largest_size"}}, largest));
  CHECK(relative(largest) == "/big.txt");
}

TEST_CASE("first_exist_fallback takes the last entry without the directory check", "[router]") {
  Site site;
  auto type = [](Exchange& ex) {
    return gatehouse::router::Template("{http.matchers.file.type}").render(ex);
  };
  Exchange ex = get("/");
  // Earlier entries keep first_exist's rules: "/dir" is a directory without a trailing slash.
  REQUIRE(matchFile(
      site, {{"try_files", {"/dir", "/small.txt", "/big.txt"}}, {"try_policy", "first_exist_fallback"}}, ex));
  CHECK(relative(ex) == "/small.txt");
  // The last entry only has to be there, and counts as a file.
  REQUIRE(matchFile(site, {{"try_files", {"/nope", "/dir"}}, {"try_policy", "first_exist_fallback"}}, ex));
  CHECK(relative(ex) == "/dir");
  CHECK(type(ex) == "file");
  CHECK_FALSE(matchFile(site, {{"try_files", {"/dir"}}, {"try_policy", "first_exist"}}, ex));
  CHECK_FALSE(
      matchFile(site, {{"try_files", {"/nope", "/gone"}}, {"try_policy", "first_exist_fallback"}}, ex));
  // "=NNN" still short-circuits before the fallback.
  Exchange ex2 = get("/");
  CHECK_FALSE(matchFile(
      site, {{"try_files", {"/nope", "=404", "/small.txt"}}, {"try_policy", "first_exist_fallback"}}, ex2));
  auto err = gatehouse::router::takeMatcherError(ex2);
  REQUIRE(err);
  CHECK(err->status == 404);
}

TEST_CASE("split_path's remainder loses a trailing slash, as Go's path.Clean before the split", "[router]") {
  Site site;
  site.write("index.php", "<?php", 1000);
  auto remainder = [](Exchange& ex) {
    return gatehouse::router::Template("{http.matchers.file.remainder}").render(ex);
  };
  // Nextcloud's pretty URLs: PATH_INFO comes from this remainder (caddy 2.6.2 sends "/apps/files").
  const Json split = {{"try_files", Json::array({"{http.request.uri.path}"})},
                      {"split_path", Json::array({".php"})}};
  Exchange ex = get("/index.php/apps/files/");
  INFO(split.dump());
  REQUIRE(matchFile(site, split, ex));
  CHECK(relative(ex) == "/index.php");
  CHECK(remainder(ex) == "/apps/files");
  Exchange root = get("/index.php/");
  REQUIRE(matchFile(site, split, root));
  CHECK(remainder(root) == "");
  // A pattern ending in '/' still wants a directory.
  Exchange dir = get("/dir");
  REQUIRE(matchFile(site, {{"try_files", Json::array({"{http.request.uri.path}/"})}}, dir));
  CHECK(relative(dir) == "/dir/");
}
