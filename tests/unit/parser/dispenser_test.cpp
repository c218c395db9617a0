#include "gatehouse/parser/dispenser.h"

#include <catch2/catch.hpp>

#include "gatehouse/parser/lexer.h"

using gatehouse::parser::Dispenser;
using gatehouse::parser::tokenize;

TEST_CASE("dispenser walks args, lines and blocks as Caddy's does") {
  Dispenser d(tokenize("dir a b {\n  sub1 x\n  sub2 {\n    deep\n  }\n}\nnext", "f"));
  REQUIRE(d.next());
  CHECK(d.val() == "dir");
  CHECK(d.countRemainingArgs() == 2);
  CHECK(d.remainingArgs() == std::vector<std::string>{"a", "b"});
  std::vector<std::string> seen;
  for (int n = d.nesting(); d.nextBlock(n);) {
    seen.push_back(d.val());
    if (d.val() == "sub1") {
      REQUIRE(d.nextArg());
      CHECK(d.val() == "x");
      CHECK_FALSE(d.nextArg());
    }
  }
  CHECK(seen == std::vector<std::string>{"sub1", "sub2", "{", "deep", "}"});
  REQUIRE(d.next());
  CHECK(d.val() == "next");
  CHECK_FALSE(d.next());
}

TEST_CASE("nextSegment copies a directive with its block") {
  Dispenser d(tokenize("a 1 {\n b\n}\nc", "f"));
  d.next();
  auto seg = d.nextSegment();
  CHECK(seg.size() == 5);
  CHECK(seg.back().text == "}");
  d.next();
  CHECK(d.val() == "c");
}

TEST_CASE("argErr names the token") {
  Dispenser d(tokenize("respond", "Caddyfile"));
  d.next();
  CHECK(std::string(d.argErr().what()) ==
        "Caddyfile:1:1: wrong argument count or unexpected line ending after 'respond'");
}

TEST_CASE("a quoted brace is an argument, not a block") {
  Dispenser d(tokenize("header X \"{\"\nrespond \"}\"", "f"));
  d.next();
  CHECK(d.remainingArgs() == std::vector<std::string>{"X", "{"});
  CHECK_FALSE(d.nextBlock(0));
  d.next();
  CHECK(d.remainingArgs() == std::vector<std::string>{"}"});
}

TEST_CASE("a heredoc spans the lines of its body and both markers") {
  Dispenser d(tokenize("respond <<EOF\n  a\n  b\n  EOF 200\nnext", "f"));
  d.next();
  CHECK(d.remainingArgs() == std::vector<std::string>{"a\nb", "200"});
  REQUIRE(d.next());
  CHECK(d.val() == "next");
}
