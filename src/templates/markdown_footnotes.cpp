#include "templates/markdown_footnotes.h"

#include <algorithm>

namespace gatehouse::templates {

namespace {

bool isBlank(const std::string& l) {
  return l.find_first_not_of(" \t") == std::string::npos;
}

// "[^label]: rest" (up to 3 spaces before): the label and where the text starts.
bool definitionStart(const std::string& l, std::string& label, size_t& text) {
  const size_t lead = l.find_first_not_of(' ');
  if (lead == std::string::npos || lead > 3 || l.compare(lead, 2, "[^") != 0) {
    return false;
  }
  const size_t close = l.find("]:", lead + 2);
  if (close == std::string::npos || close == lead + 2 || l.find(']', lead + 2) != close) {
    return false;
  }
  label = l.substr(lead + 2, close - lead - 2);
  text = std::min(l.find_first_not_of(' ', close + 2), l.size());
  return true;
}

std::string backLink(const std::string& number, int use) {
  const std::string id = "fnref" + (use == 0 ? std::string() : std::to_string(use)) + ":" + number;
  return "&#160;<a href=\"#" + id +
         "\" class=\"footnote-backref\" role=\"doc-backlink\">&#x21a9;&#xfe0e;</a>";
}

}  // namespace

void Footnotes::takeDefinitions(std::vector<std::string>& lines) {
  for (size_t i = 0; i < lines.size();) {
    std::string label;
    size_t text = 0;
    if (!definitionStart(lines[i], label, text)) {
      ++i;
      continue;
    }
    std::vector<std::string> body{lines[i].substr(text)};
    lines[i++].clear();
    // Continuation: lines indented by 4 (blank lines inside), or lazy paragraph lines.
    while (i < lines.size()) {
      const std::string& l = lines[i];
      size_t next = i;
      while (next < lines.size() && isBlank(lines[next])) {
        ++next;
      }
      const bool indented = next < lines.size() && lines[next].starts_with("    ");
      std::string ignored;
      size_t ignoredText = 0;
      if (isBlank(l) ? !indented
                     : (!l.starts_with("    ") &&
                        (isBlank(body.back()) || definitionStart(l, ignored, ignoredText)))) {
        break;
      }
      body.push_back(l.starts_with("    ") ? l.substr(4) : l);
      lines[i++].clear();
    }
    defs_.emplace(std::move(label), std::move(body));  // the first definition wins
  }
}

size_t Footnotes::reference(std::string_view s, std::string& out) {
  if (!s.starts_with("[^")) {
    return 0;
  }
  const size_t close = s.find(']');
  if (close == std::string_view::npos || close == 2) {
    return 0;
  }
  const std::string_view label = s.substr(2, close - 2);
  if (!defs_.contains(label)) {
    return 0;
  }
  auto at = std::find(order_.begin(), order_.end(), label);
  if (at == order_.end()) {
    order_.emplace_back(label);
    at = order_.end() - 1;
  }
  const std::string number = std::to_string(at - order_.begin() + 1);
  int& use = uses_[std::string(label)];
  const std::string id = "fnref" + (use == 0 ? std::string() : std::to_string(use)) + ":" + number;
  ++use;
  out += "<sup id=\"" + id + "\"><a href=\"#fn:" + number +
         "\" class=\"footnote-ref\" role=\"doc-noteref\">" + number + "</a></sup>";
  return close + 1;
}

std::string Footnotes::section(
    const std::function<std::string(const std::vector<std::string>&)>& render) const {
  if (order_.empty()) {
    return {};
  }
  std::string out = "<div class=\"footnotes\" role=\"doc-endnotes\">\n<hr>\n<ol>\n";
  for (size_t n = 0; n < order_.size(); ++n) {
    const std::string number = std::to_string(n + 1);
    std::string links;
    const auto uses = uses_.find(order_[n]);
    for (int use = 0; use < (uses == uses_.end() ? 1 : uses->second); ++use) {
      links += backLink(number, use);
    }
    std::string body = render(defs_.find(order_[n])->second);
    // The back links go inside the last paragraph, as goldmark puts them.
    if (body.ends_with("</p>\n")) {
      body.insert(body.size() - 5, links);
    } else {
      body += links;
    }
    out += "<li id=\"fn:" + number + "\">\n" + body + "</li>\n";
  }
  return out + "</ol>\n</div>\n";
}

}  // namespace gatehouse::templates
