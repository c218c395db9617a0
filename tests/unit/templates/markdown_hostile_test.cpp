#include <catch2/catch.hpp>
#include <ctime>
#include <string>

#include "templates/caddy_context.h"

using gatehouse::templates::renderMarkdown;

namespace {

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Renders `md` and checks it stayed linear: a quadratic path on these inputs takes minutes
// (the unbounded recursion killed the process), the linear one about a second at most. CPU
// time, not wall time: a loaded CI machine stretched the wall clock of a 1 s render past 5 s.
std::string renderTimed(const std::string& md) {
  const double start = threadCpuSeconds();
  std::string html = renderMarkdown(md);
  CHECK(threadCpuSeconds() - start < 10.0);
  return html;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("markdown: 100k nested blockquotes stop nesting at 32 levels", "[templates][markdown]") {
  const std::string html = renderTimed(std::string(100000, '>') + " x\n");
  CHECK(count(html, "<blockquote>") == 32);
  CHECK(count(html, "</blockquote>") == 32);
  CHECK(html.find("<p>&gt;&gt;") != std::string::npos);  // the rest is text
  CHECK(html.find(" x</p>") != std::string::npos);
}

TEST_CASE("markdown: 100k nested brackets with no link render as text in linear time",
          "[templates][markdown]") {
  const std::string md = std::string(100000, '[') + "a" + std::string(100000, ']');
  CHECK(renderTimed(md + "\n") == "<p>" + md + "</p>\n");
  // With a link definition the label lookup is bounded by the longest label.
  const std::string withRef = renderTimed("[a]: /u\n\n" + md + "\n");
  CHECK(count(withRef, "<a href=\"/u\">a</a>") == 1);
  // A link nested in 20k brackets still matches.
  const std::string nested = std::string(20000, '[') + "[x](/y)" + std::string(20000, ']');
  CHECK(renderTimed(nested + "\n") ==
        "<p>" + std::string(20000, '[') + "<a href=\"/y\">x</a>" + std::string(20000, ']') + "</p>\n");
}

TEST_CASE("markdown: 100k emphasis delimiters around a word render in linear time", "[templates][markdown]") {
  for (const char c : {'*', '_', '~'}) {
    const std::string run(100000, c);
    const std::string html = renderTimed("x " + run + "a" + run + "\n");
    CHECK(html.starts_with("<p>"));
    CHECK(html.find('a') != std::string::npos);
    CHECK(html.size() >= 200000);
  }
  CHECK(renderTimed("x " + std::string(100000, '*') + "\n").size() > 100000);
}

TEST_CASE("markdown: deeply nested emphasis and links render, links nesting at most 100 levels",
          "[templates][markdown]") {
  std::string md;
  for (int k = 0; k < 20000; ++k) {
    md += k % 2 == 0 ? "**a " : "*b ";
  }
  md += "c";
  for (int k = 19999; k >= 0; --k) {
    md += k % 2 == 0 ? " a**" : " b*";
  }
  const std::string html = renderTimed(md + "\n");
  CHECK(html.starts_with("<p><strong>a <em>b **a"));  // as before this change
  std::string links;
  for (int k = 0; k < 20000; ++k) {
    links += "[";
  }
  links += "x";
  for (int k = 0; k < 20000; ++k) {
    links += "](/u)";
  }
  const std::string linked = renderTimed(links + "\n");
  CHECK(linked.starts_with("<p><a href=\"/u\"><a href=\"/u\">"));
  CHECK(count(linked, "<a href") <= 101);
}

TEST_CASE("markdown: 3000 nested list items stop nesting at 32 levels", "[templates][markdown]") {
  std::string md;
  for (int k = 0; k < 3000; ++k) {
    md += std::string(2 * static_cast<size_t>(k), ' ') + "- a\n";
  }
  const std::string html = renderTimed(md);
  CHECK(html.starts_with("<ul>\n<li>a\n<ul>\n<li>a\n"));
  CHECK(count(html, "<ul>") == count(html, "</ul>"));
  CHECK(count(html, "<ul>") == 32);
  CHECK(html.ends_with("</li>\n</ul>\n"));
}

TEST_CASE("markdown: an unmatched backtick run is text as a whole", "[templates][markdown]") {
  CHECK(renderTimed("x ```a`` b\n") == "<p>x ```a`` b</p>\n");
  CHECK(renderTimed("`a``b`\n") == "<p><code>a``b</code></p>\n");  // closed by a run as long
  const std::string run(100000, '`');
  CHECK(renderTimed("x " + run + "\n") == "<p>x " + run + "</p>\n");
}

TEST_CASE("markdown: 100k '<' and footnote openers render in linear time", "[templates][markdown]") {
  CHECK(renderTimed("x " + std::string(100000, '<') + "\n").size() == 400010);
  std::string openers;
  for (int k = 0; k < 50000; ++k) {
    openers += "[^";
  }
  CHECK(renderTimed("x " + openers + "\n") == "<p>x " + openers + "</p>\n");
}
