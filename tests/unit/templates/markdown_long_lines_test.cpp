#include <catch2/catch.hpp>
#include <chrono>

#include "templates/caddy_context.h"

using gatehouse::templates::renderMarkdown;

// std::regex recursed once per character and overflowed the stack on a line this long
// (the server died rendering it); the link and definition patterns run on RE2 now.
TEST_CASE("markdown: a 300 KB autolink and link definition render without recursion", "[templates]") {
  const std::string tail(300000, 'a');
  const std::string html = renderMarkdown("http://a.com/" + tail + "\n");
  CHECK(html == "<p><a href=\"http://a.com/" + tail + "\">http://a.com/" + tail + "</a></p>\n");
  const std::string def = renderMarkdown("[x]: /" + tail + " \"t\"\n\n[x]\n");
  CHECK(def == "<p><a href=\"/" + tail + "\" title=\"t\">x</a></p>\n");
}

TEST_CASE("markdown: a quoted empty title prints title=\"\" (goldmark), a missing one nothing",
          "[templates]") {
  CHECK(renderMarkdown("[a]: /u ''\n\n[a]\n") == "<p><a href=\"/u\" title=\"\">a</a></p>\n");
  CHECK(renderMarkdown("[a](/u \"\")\n") == "<p><a href=\"/u\" title=\"\">a</a></p>\n");
  CHECK(renderMarkdown("[a]: /u 'q'\n\n[a]\n") == "<p><a href=\"/u\" title=\"q\">a</a></p>\n");
  CHECK(renderMarkdown("[a]: </u>\n\n[a]\n") == "<p><a href=\"/u\">a</a></p>\n");
}

TEST_CASE("markdown: e-mail addresses are linked as goldmark's linkify does, in linear time", "[templates]") {
  CHECK(renderMarkdown("mail a.b+c@x.io, x@y and foo@bar.com-\n") ==
        "<p>mail <a href=\"mailto:a.b+c@x.io\">a.b+c@x.io</a>, x@y and foo@bar.com-</p>\n");
  // '_' both starts an autolink and belongs to a local part: 200k of them must not rescan.
  std::string line;
  for (int i = 0; i < 100000; ++i) {
    line += "a_";
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string html = renderMarkdown(line + "\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(html.find("mailto:") == std::string::npos);
}

TEST_CASE("markdown: a short table row gets bare cells, and rows need no pipe", "[templates]") {
  CHECK(renderMarkdown("a | b\n--|:-:\n1\n") ==
        "<table>\n<thead>\n<tr>\n<th>a</th>\n<th style=\"text-align:center\">b</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>1</td>\n<td></td>\n</tr>\n</tbody>\n</table>\n");
  CHECK(renderMarkdown("- x\n===\n") == "<ul>\n<li>x\n===</li>\n</ul>\n");
}
