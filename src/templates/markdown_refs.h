#pragma once
// Two pieces of goldmark's inline parsing (as caddy 2.6.2's `markdown` configures it), kept
// apart from templates/markdown.cpp: entity references in text and GFM autolinks (linkify).

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::templates {

// An entity reference at the start of `s` ("&amp;", "&#65;", "&#x42;", common named ones):
// its length, with `text` set to what it stands for (goldmark prints that, escaped). 0 when
// `s` starts with none it knows (the '&' is then plain text).
size_t entityReference(std::string_view s, std::string& text);

// Whether an autolink may start at s[i]: at the start, or after whitespace, '*', '_', '~', '('.
bool autolinkTrigger(std::string_view s, size_t i);

// The length of the bare http://, https://, ftp:// or www. URL at the start of `s` after
// goldmark's trimming (a trailing '.', unbalanced ')', an "&name;" tail, trailing
// ?!.,:*_~); 0 when none starts there.
size_t autolinkLength(std::string_view s);
// The length of the bare e-mail address at the start of `s` that goldmark's linkify links
// (to "mailto:"): local-part characters, '@', dot-separated domain labels with at least one
// dot, not followed by '-' or '_'; 0 when none starts there. `localEnd` receives where the
// local part stopped: a start before that position inside s fails the same way.
size_t emailAutolinkLength(std::string_view s, size_t& localEnd);

// A link destination as goldmark prints it (util.URLEscape): spaces, controls, non-ASCII
// bytes and "<>\\^`{|} percent-encoded; '%' and the other URL characters kept.
[[nodiscard]] std::string urlEscape(std::string_view url);

// Link reference definitions ("[label]: destination "title""), keyed by their normalized
// label (lowercase, inner whitespace collapsed).
struct LinkTarget {
  std::string href;
  std::optional<std::string> title;  // a quoted empty title still prints title=""
};
using LinkRefs = std::map<std::string, LinkTarget, std::less<>>;

// Takes the definitions out of `lines` (outside fenced code; a definition cannot interrupt a
// paragraph), leaving blank lines in their place, and returns them.
LinkRefs takeLinkDefinitions(std::vector<std::string>& lines);

// A link at s[0] == '[': inline "[text](dest "title")", full "[text][ref]", collapsed
// "[ref][]" or shortcut "[ref]" whose ref is defined. `end` is the offset past it.
struct LinkMatch {
  std::string_view text;
  LinkTarget target;
  size_t end = 0;
};
[[nodiscard]] std::optional<LinkMatch> matchLink(std::string_view s, const LinkRefs& refs);

// The same with the closing ']' already known (`close`, relative to s[0]); a reference
// label whose normalized form is longer than `maxLabel` (the longest defined one) is not
// looked up, so failed links cost no more than their brackets.
[[nodiscard]] std::optional<LinkMatch> matchLinkAt(std::string_view s, size_t close, const LinkRefs& refs,
                                                   size_t maxLabel);

// The longest normalized label among `refs`.
[[nodiscard]] size_t longestLabel(const LinkRefs& refs);

// The ']' closing each '[' of one text (what matchLink finds, nested brackets counted,
// escapes and code spans skipped), found lazily by left-to-right scans that reuse what
// earlier scans learned: linear overall, where one scan per '[' was quadratic on
// "[[[[...]]]]" (a 200 KB line took minutes).
class BracketIndex {
 public:
  explicit BracketIndex(std::string_view s) : s_(s) {}
  // The closing ']' for the '[' at s[open], relative to `open`; npos when none.
  [[nodiscard]] size_t closeOf(size_t open);

 private:
  void scan(size_t from);
  static constexpr size_t kUnknown = static_cast<size_t>(-2);
  std::string_view s_;
  std::vector<size_t> close_;  // absolute position of the ']', npos, or kUnknown
};

}  // namespace gatehouse::templates
