// Caddy 2.6.2's config traversal on a JSON tree, with the error texts and ETag hashes caddy
// answered for the same requests (admin_api_vs_caddy_test compares the live servers).
#include "admin/config_tree.h"

#include <catch2/catch.hpp>

namespace ad = gatehouse::admin;
using gatehouse::config::Json;

namespace {
Json root() {
  return Json::parse(R"({"config":{"apps":{"s":{"listen":["a"],"routes":[{"@id":"r1","body":"x<y"}]}}}})");
}
}  // namespace

TEST_CASE("GET encodes as Go does, and the ETag hashes that text with FNV-1a", "[admin]") {
  Json r = root();
  std::string out;
  CHECK_FALSE(ad::accessConfig(r, "GET", "/config/apps/s/routes/0", Json(), &out));
  CHECK(out == "{\"@id\":\"r1\",\"body\":\"x\\u003cy\"}\n");
  CHECK(ad::fnv1aHex("[\"127.0.0.1:42080\"]\n") == "de539eaa");  // caddy's ETag for that body
  CHECK_FALSE(ad::accessConfig(r, "GET", "/config/apps/nokey", Json(), &out));
  CHECK(out == "null\n");
  CHECK(ad::goEncode(Json::parse(R"({"b":1.0,"a":[2.5]})")) == R"({"a":[2.5],"b":1})");
}

TEST_CASE("traversal errors carry caddy's texts", "[admin]") {
  Json r = root();
  std::string out;
  CHECK(*ad::accessConfig(r, "GET", "/config/apps/nope/x", Json(), &out) ==
        "invalid traversal path at: config/apps/nope/x");
  CHECK(*ad::accessConfig(r, "GET", "/config/apps/s/routes/x", Json(), &out) ==
        "[/config/apps/s/routes/x] invalid array index 'x': strconv.Atoi: parsing \"x\": invalid syntax");
  CHECK(*ad::accessConfig(r, "DELETE", "/config/apps/s/listen/5", Json(), nullptr) ==
        "[/config/apps/s/listen/5] array index out of bounds: 5");
  CHECK(*ad::accessConfig(r, "PUT", "/config/apps/s/listen", Json(1), nullptr) ==
        "[/config/apps/s/listen] key already exists: listen");
  CHECK(*ad::accessConfig(r, "PATCH", "/config/apps/s/nokey", Json(1), nullptr) ==
        "[/config/apps/s/nokey] key does not exist: nokey");
  CHECK(*ad::accessConfig(r, "POST", "/config/apps/s/listen/...", Json(1), nullptr) ==
        "final element is not an array");
  CHECK(*ad::accessConfig(r, "GET", "/", Json(), &out) == "no traversable path");
}

TEST_CASE("POST appends, PUT inserts or creates, PATCH replaces, DELETE removes", "[admin]") {
  Json r = root();
  Json& s = r["config"]["apps"]["s"];
  CHECK_FALSE(ad::accessConfig(r, "POST", "/config/apps/s/listen", Json("b"), nullptr));
  CHECK_FALSE(ad::accessConfig(r, "POST", "/config/apps/s/listen/...", Json::parse(R"(["c","d"])"), nullptr));
  CHECK(s["listen"] == Json::parse(R"(["a","b","c","d"])"));
  CHECK_FALSE(ad::accessConfig(r, "PUT", "/config/apps/s/listen/0", Json("z"), nullptr));
  CHECK_FALSE(ad::accessConfig(r, "PATCH", "/config/apps/s/listen/1", Json("y"), nullptr));
  CHECK_FALSE(ad::accessConfig(r, "DELETE", "/config/apps/s/listen/4", Json(), nullptr));
  CHECK(s["listen"] == Json::parse(R"(["z","y","b","c"])"));
  CHECK_FALSE(ad::accessConfig(r, "PUT", "/config/apps/new/deep/key", Json(1), nullptr));
  CHECK(r["config"]["apps"]["new"] == Json::parse(R"({"deep":{"key":1}})"));
  CHECK_FALSE(ad::accessConfig(r, "DELETE", "/config/apps/new", Json(), nullptr));
  CHECK_FALSE(r["config"]["apps"].contains("new"));
}

TEST_CASE("@id index and stripping", "[admin]") {
  std::map<std::string, std::string> index;
  CHECK_FALSE(ad::indexIds(root()["config"], "/config", index));
  CHECK(index.at("r1") == "/config/apps/s/routes/0");
  CHECK(*ad::indexIds(Json::parse(R"({"a":{"@id":true}})"), "/config", index) ==
        "/config/a: @id field must be a string or number");
  CHECK(ad::withoutIds(root()) ==
        Json::parse(R"({"config":{"apps":{"s":{"listen":["a"],"routes":[{"body":"x<y"}]}}}})"));
}
