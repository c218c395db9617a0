#include "gatehouse/parser/lexer.h"

#include <catch2/catch.hpp>

#include "gatehouse/parser/config_error.h"

using gatehouse::parser::ConfigError;
using gatehouse::parser::Token;
using gatehouse::parser::tokenize;

namespace {
struct Expected {
  std::string text;
  int line;
  int col;
};

void check(const std::string& input, const std::vector<Expected>& want) {
  auto got = tokenize(input, "Caddyfile");
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("token " << i);
    CHECK(got[i].text == want[i].text);
    CHECK(got[i].loc.line == want[i].line);
    CHECK(got[i].loc.col == want[i].col);
  }
}
}  // namespace

TEST_CASE("lexer splits words and tracks line and column") {
  check("host:123 {\n  dir1 arg1\n}",
        {{"host:123", 1, 1}, {"{", 1, 10}, {"dir1", 2, 3}, {"arg1", 2, 8}, {"}", 3, 1}});
}

TEST_CASE("lexer handles quotes, escapes and backticks") {
  check(R"(a "b c" "d \"e\" \f" `g "h" \i`)",
        {{"a", 1, 1}, {"b c", 1, 3}, {R"(d "e" \f)", 1, 9}, {R"(g "h" \i)", 1, 22}});
  auto toks = tokenize("\"\" x", "f");
  REQUIRE(toks.size() == 2);
  CHECK(toks[0].text.empty());
  CHECK(toks[0].quoted());
}

TEST_CASE("lexer drops comments only at token start") {
  check("a # comment\nb#c", {{"a", 1, 1}, {"b#c", 2, 1}});
}

TEST_CASE("escaped newline joins lines") {
  auto toks = tokenize("a \\\n  b\nc", "f");
  REQUIRE(toks.size() == 3);
  CHECK(toks[1].loc.line == 1);
  CHECK(toks[2].loc.line == 3);
}

TEST_CASE("leading BOM is dropped") {
  check(
      "\xEF\xBB\xBF"
      "a",
      {{"a", 1, 1}});
}

TEST_CASE("heredoc strips the closing marker's indentation") {
  auto toks = tokenize("respond <<END\n    line1\n      line2\n    END\nnext", "f");
  REQUIRE(toks.size() == 3);
  CHECK(toks[1].text == "line1\n  line2");
  CHECK(toks[1].quote == '<');
  CHECK(toks[2].loc.line == 5);
}

TEST_CASE("heredoc errors") {
  CHECK_THROWS_WITH(tokenize("a <<<END\nx\nEND\n", "f"),
                    Catch::Contains("too many '<' for heredoc on line #1"));
  CHECK_THROWS_WITH(tokenize("a <<END!\nx\nEND!\n", "f"), Catch::Contains("must contain only alphanumeric"));
  CHECK_THROWS_WITH(tokenize("a <<END\n\tx\n  END\n", "f"),
                    Catch::Contains("mismatched leading whitespace in heredoc <<END on line #2"));
  CHECK_THROWS_WITH(tokenize("a <<END\nx\n", "f"), Catch::Contains("incomplete heredoc"));
  auto toks = tokenize("a << b", "f");
  CHECK(toks.size() == 3);
}
