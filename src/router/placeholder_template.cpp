// Template: a placeholder text split once into literal and key parts, rendered per request
// through lookupPlaceholder (placeholders.cpp).

#include "router/placeholders.h"

namespace gatehouse::router {

using runtime::Exchange;

Template::Template(std::string_view text) : source_(text) {
  std::string lit;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '{' || text[i + 1] == '}')) {
      lit += text[++i];
      continue;
    }
    if (c == '{') {
      size_t close = text.find('}', i + 1);
      // As Caddy's replacer: a key runs to the first '}' not escaped with '\\', unless
      // that brace ends the text; with no such brace the '{' is literal.
      while (close != std::string_view::npos && close + 1 < text.size() && text[close - 1] == '\\') {
        close = text.find('}', close + 1);
      }
      if (close != std::string_view::npos) {  // "{}" too: its empty key is unknown
        if (!lit.empty()) {
          parts_.push_back(Part{std::move(lit), false});
          lit.clear();
        }
        parts_.push_back(Part{std::string(text.substr(i + 1, close - i - 1)), true});
        literal_ = false;
        i = close;
        continue;
      }
    }
    lit += c;
  }
  if (!lit.empty()) {
    parts_.push_back(Part{std::move(lit), false});
  }
}

void Template::renderTo(std::string& out, const Exchange& ex, Unknown unknown) const {
  std::string value;
  for (const auto& p : parts_) {
    if (!p.key) {
      out += p.text;
    } else if (lookupPlaceholder(p.text, ex, value)) {
      out += value;
    } else if (unknown == Unknown::Keep) {
      // Caddy's ReplaceKnown keeps an unknown "{..." and scans on from the next byte, so a
      // placeholder inside it still expands (respond `{"path": "{path}"}`) and an escaped
      // brace in it loses its '\\' (`{path\\}` prints "{path}").
      out += '{';
      Template(p.text + "}").renderTo(out, ex, unknown);
    }
  }
}

std::string Template::renderEmptyAs(const Exchange& ex, std::string_view empty) const {
  std::string out;
  std::string value;
  for (const auto& p : parts_) {
    if (!p.key) {
      out += p.text;
    } else if (lookupPlaceholder(p.text, ex, value) && !value.empty()) {
      out += value;
    } else {
      out += empty;
    }
  }
  return out;
}

std::string Template::render(const Exchange& ex, Unknown unknown) const {
  if (literal_) {
    return parts_.empty() ? std::string() : parts_.front().text;
  }
  std::string out;
  renderTo(out, ex, unknown);
  return out;
}

}  // namespace gatehouse::router
