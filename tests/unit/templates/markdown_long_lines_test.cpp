#include <catch2/catch.hpp>

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
