#include "gatehouse/parser/formatter.h"

#include <catch2/catch.hpp>

using gatehouse::parser::firstUnformattedLine;
using gatehouse::parser::formatCaddyfile;
using gatehouse::parser::formatDiff;

namespace {
// The formatter always ends its output with exactly one newline.
void checkFormat(const std::string& input, const std::string& want) {
  INFO(input);
  CHECK(formatCaddyfile(input) == want + "\n");
}
}  // namespace

TEST_CASE("fmt: spacing, indentation and nesting") {
  checkFormat("abc   def\n\tg hi jkl\nmn", "abc def\ng hi jkl\nmn");
  checkFormat("  a\nb\n\n\tc {\n\t\td\n}\n\ne { f\n}\n\n\n\ng {\nh {\ni\n}\n}",
              "a\nb\n\nc {\n\td\n}\n\ne {\n\tf\n}\n\ng {\n\th {\n\t\ti\n\t}\n}");
  checkFormat("j { k {\nl\n}\n}\n\nm {\n\tn { o\n\t}\n\tp { q r\ns }\n}",
              "j {\n\tk {\n\t\tl\n\t}\n}\n\nm {\n\tn {\n\t\to\n\t}\n\tp {\n\t\tq r\n\t\ts\n\t}\n}");
  checkFormat("a{\n\tb\n}\n\nc{ d\n}", "a {\n\tb\n}\n\nc {\n\td\n}");
  checkFormat("abc {\n\tdef\n}ghi{\n\tjkl mno\npqr}", "abc {\n\tdef\n}\n\nghi {\n\tjkl mno\n\tpqr\n}");
}

TEST_CASE("fmt: placeholders, comments, quotes and escapes stay literal") {
  checkFormat("{$A}\n\nb {\n{$C}\n}\n\nd { {$E}\n}\n\n{ {$F}\n}\n",
              "{$A}\n\nb {\n\t{$C}\n}\n\nd {\n\t{$E}\n}\n\n{\n\t{$F}\n}");
  checkFormat("#a \"\\n\"\n\n #b {\n\tc\n}\n\nd {\ne#f\n# g\n}\n\nh { # i\n}",
              "#a \"\\n\"\n\n#b {\nc\n}\n\nd {\n\te#f\n\t# g\n}\n\nh {\n\t# i\n}");
  checkFormat("i {\n\t\"foo\nbar\"\n}", "i {\n\t\"foo\nbar\"\n}");
  checkFormat("foo \\\"literal\\\"", "foo \\\"literal\\\"");
  checkFormat("foo{bar} foo{ bar}baz", "foo{bar} foo {\n\tbar\n}\n\nbaz");
  checkFormat("redir / /some/#/path", "redir / /some/#/path");
  checkFormat("# comment\n{\n\tfoo\n}", "# comment\n{\n\tfoo\n}");
}

TEST_CASE("fmt: unbalanced braces") {
  checkFormat("a\n{\n\t{\n}", "a {\n\t{\n\t}");
  checkFormat("a\n{\n\t{\n}}}", "a {\n\t{\n\t}\n}\n}");
}

TEST_CASE("fmt: heredocs are copied as written") {
  checkFormat("a {\n  respond <<EOF\n  hello\n    world\n  EOF\n}",
              "a {\n\trespond <<EOF\n  hello\n    world\n  EOF\n}");
  // Caddy's formatter drops the space after a lone "<<" (newer Caddy; 2.6.2 keeps it).
  checkFormat("a {\n\trespond << x\n}", "a {\n\trespond <<x\n}");
  checkFormat("a \\<<EOF b", "a \\<<EOF b");
}

TEST_CASE("fmt: invalid UTF-8 becomes U+FFFD, Unicode spaces are trimmed") {
  CHECK(formatCaddyfile("a \xff") == "a \xEF\xBF\xBD\n");
  CHECK(formatCaddyfile("\xC2\xA0"
                        "a\xE3\x80\x80") == "a\n");
}

TEST_CASE("fmt: first unformatted line") {
  CHECK(firstUnformattedLine("a {\n\tb\n}\n") == 0);
  CHECK(firstUnformattedLine("a {\r\n\tb\r\n}\r\n") == 0);
  CHECK(firstUnformattedLine("a {\n\tb\n  c\n}\n") == 3);
}

TEST_CASE("fmt: diff lists removed lines before added ones") {
  CHECK(formatDiff("a {\n  b\n}\n", "a {\n\tb\n}\n") == "  a {\n-   b\n+ \tb\n  }\n  \n");
  CHECK(formatDiff("x\n", "x\n") == "  x\n  \n");
}

TEST_CASE("fmt: braces inside backticks are text") {
  const std::string templates =
      "block {\n\trespond \"date: {{now | date `2006`}}\"\n\n\thandle /path {\n"
      "\t\trespond `date: {{now | date \"2006\"}}`\n\t}\n}";
  checkFormat(templates, templates);
  // A backtick inside double quotes does not start a backtick segment.
  checkFormat(":8080 {\n\trespond \"`\"\n}", ":8080 {\n\trespond \"`\"\n}");
  checkFormat("@m `{ \"a\": 1 }`", "@m `{ \"a\": 1 }`");
}
