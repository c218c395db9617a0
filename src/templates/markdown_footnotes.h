#pragma once
// Footnotes as goldmark's extension prints them (caddy 2.6.2's `markdown` enables it):
// "[^label]" references numbered in order of first use, "[^label]: text" definitions (with
// their indented continuation lines) gathered into an endnotes section with a back link per
// reference; definitions never referenced are dropped.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::templates {

class Footnotes {
 public:
  // Takes the definitions out of `lines`, leaving blank lines in their place.
  void takeDefinitions(std::vector<std::string>& lines);
  // A reference "[^label]" at the start of `s` to a defined footnote: appends its <sup> to
  // `out` and returns its length; 0 otherwise.
  size_t reference(std::string_view s, std::string& out);
  // The endnotes section ("" when nothing was referenced); `render` prints a definition's
  // lines as blocks.
  [[nodiscard]] std::string section(
      const std::function<std::string(const std::vector<std::string>&)>& render) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> defs_;
  std::vector<std::string> order_;                // labels by first reference
  std::map<std::string, int, std::less<>> uses_;  // references so far, per label
};

}  // namespace gatehouse::templates
