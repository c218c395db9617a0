#include "templates/front_matter_yaml.h"

#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <vector>

#include "templates/sprig.h"
#include "templates/time_value.h"

namespace gatehouse::templates {

namespace {

size_t indentOf(const std::string& l) {
  const size_t n = l.find_first_not_of(' ');
  return n == std::string::npos ? l.size() : n;
}

bool skippable(const std::string& l) {
  const size_t n = l.find_first_not_of(" \t\r");
  return n == std::string::npos || l[n] == '#';
}

std::string trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool isListLine(const std::string& t) {
  return t == "-" || t.starts_with("- ");
}

class YamlReader {
 public:
  YamlReader(std::vector<std::string> lines, Value (*scalar)(const std::string&, bool))
      : lines_(std::move(lines)), scalar_(scalar) {}

  Value document() {
    skip();
    if (i_ < lines_.size() && isListLine(trimmed(lines_[i_]))) {  // Caddy decodes into a map
      throw TemplateError("yaml: unmarshal errors:\n  line " + std::to_string(i_ + 1) +
                          ": cannot unmarshal !!seq into map[string]interface {}");
    }
    return i_ < lines_.size() ? block(indentOf(lines_[i_])) : makeMap();
  }

 private:
  void skip() {
    while (i_ < lines_.size() && skippable(lines_[i_])) {
      ++i_;
    }
  }

  Value block(size_t indent) { return isListLine(trimmed(lines_[i_])) ? list(indent) : map(indent); }

  Value map(size_t indent) {
    Value out = makeMap();
    auto& m = out.asMap().entries;
    for (skip(); i_ < lines_.size() && indentOf(lines_[i_]) == indent; skip()) {
      const std::string t = trimmed(lines_[i_]);
      if (isListLine(t)) {
        break;
      }
      const size_t sep = keySeparator(t);
      if (sep == std::string::npos) {
        throw TemplateError("yaml: cannot parse front matter line: " + t);
      }
      std::string key = t.substr(0, sep);
      if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') && key.back() == key.front()) {
        key = key.substr(1, key.size() - 2);
      }
      const std::string rest = trimmed(t.substr(sep + 1));
      ++i_;
      m[key] = value(rest, indent);
    }
    return out;
  }

  Value list(size_t indent) {
    List items;
    for (skip(); i_ < lines_.size() && indentOf(lines_[i_]) == indent; skip()) {
      const std::string t = trimmed(lines_[i_]);
      if (!isListLine(t)) {
        break;
      }
      const std::string item = t.size() > 2 ? trimmed(t.substr(2)) : std::string();
      if (!item.empty() && keySeparator(item) != std::string::npos && item.front() != '"' &&
          item.front() != '\'' && item.front() != '{' && item.front() != '[' && item.front() != '&') {
        // "- key: value" opens a map whose keys line up after the dash.
        lines_[i_] = std::string(indent + 2, ' ') + item;
        items.push_back(map(indent + 2));
        continue;
      }
      ++i_;
      items.push_back(value(item, indent));
    }
    return makeList(std::move(items));
  }

  // The value after "key:" or "- ": inline, a block scalar, or a nested block below.
  Value value(const std::string& rest, size_t indent) {
    if (rest.empty()) {
      skip();
      if (i_ < lines_.size()) {
        const size_t next = indentOf(lines_[i_]);
        // A list may sit at its key's own indent ("tags:\n- a").
        if (next > indent || (next == indent && isListLine(trimmed(lines_[i_])))) {
          return block(next);
        }
      }
      return {};
    }
    if (rest[0] == '|' || rest[0] == '>') {
      return blockScalar(rest, indent);
    }
    if (rest[0] == '&') {  // an anchor: the value it marks is kept for its aliases
      const size_t end = std::min(rest.find(' '), rest.size());
      const std::string name = rest.substr(1, end - 1);
      Value v = value(trimmed(rest.substr(end)), indent);
      anchors_[name] = v;
      return v;
    }
    if (rest[0] == '*') {
      const std::string name = trimmed(rest.substr(1));
      auto it = anchors_.find(name);
      if (it == anchors_.end()) {
        throw TemplateError("yaml: unknown anchor '" + name + "' referenced");
      }
      return it->second;
    }
    if (rest[0] == '[' || rest[0] == '{') {
      size_t pos = 0;
      return flow(rest, pos);
    }
    return typed(rest);
  }

  // A flow collection ([a, b] or {k: v, ...}, nested) starting at s[pos].
  Value flow(const std::string& s, size_t& pos) {
    const char close = s[pos] == '[' ? ']' : '}';
    const bool isMap = close == '}';
    Value out = isMap ? makeMap() : makeList();
    ++pos;
    for (;;) {
      skipSpaces(s, pos);
      if (pos >= s.size()) {
        throw TemplateError(std::string("yaml: line 1: did not find expected ',' or '") + close + "'");
      }
      if (s[pos] == close) {
        ++pos;
        return out;
      }
      if (isMap) {
        const std::string key = flowScalar(s, pos, ":,}", true).asString();
        skipSpaces(s, pos);
        Value v;
        if (pos < s.size() && s[pos] == ':') {
          ++pos;
          v = flowItem(s, pos, ",}");
        }
        out.asMap().entries[key] = v;
      } else {
        out.asList().push_back(flowItem(s, pos, ",]"));
      }
      skipSpaces(s, pos);
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
      }
    }
  }

  Value flowItem(const std::string& s, size_t& pos, const char* stops) {
    skipSpaces(s, pos);
    if (pos < s.size() && (s[pos] == '[' || s[pos] == '{')) {
      return flow(s, pos);
    }
    return flowScalar(s, pos, stops, false);
  }

  // A quoted or plain scalar inside a flow collection, ending before one of `stops`.
  Value flowScalar(const std::string& s, size_t& pos, const char* stops, bool key) {
    skipSpaces(s, pos);
    size_t start = pos;
    if (pos < s.size() && (s[pos] == '"' || s[pos] == '\'')) {
      const char q = s[pos++];
      while (pos < s.size() && !(s[pos] == q && !(q == '\'' && pos + 1 < s.size() && s[pos + 1] == '\''))) {
        pos += (q == '"' && s[pos] == '\\') || (q == '\'' && s[pos] == '\'') ? 2 : 1;
      }
      ++pos;
      return Value(scalar_(s.substr(start, pos - start), false).asString());
    }
    while (pos < s.size() && std::string_view(stops).find(s[pos]) == std::string_view::npos) {
      ++pos;
    }
    const std::string text = trimmed(s.substr(start, pos - start));
    return key ? Value(text) : typed(text);
  }

  static void skipSpaces(const std::string& s, size_t& pos) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) {
      ++pos;
    }
  }

  // A plain scalar as YAML resolves it; a date (2006-01-02) becomes a time.Time in UTC.
  Value typed(const std::string& raw) {
    static const re2::RE2 date(R"((\d{4})-(\d{1,2})-(\d{1,2}))");
    int y = 0;
    int mo = 0;
    int da = 0;
    if (re2::RE2::FullMatch(raw, date, &y, &mo, &da)) {
      using namespace std::chrono;
      const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(da)}};
      if (ymd.ok()) {
        const auto secs = sys_days{ymd}.time_since_epoch();
        return makeTime(duration_cast<nanoseconds>(secs).count(), false);
      }
    }
    std::string v = raw;
    if (const size_t hash = v.find(" #"); hash != std::string::npos && v[0] != '"' && v[0] != '\'') {
      v = trimmed(v.substr(0, hash));  // a trailing comment
    }
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'o')) {
      // YAML 1.2's hexadecimal and octal integers.
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str() + 2, &end, v[1] == 'x' ? 16 : 8);
      if (*end == '\0') {
        return Value(static_cast<int64_t>(n));
      }
    }
    return scalar_(v, false);
  }

  // "|" keeps line breaks, ">" folds lines into spaces; "-" strips the final newline, "+"
  // keeps every trailing one, the default keeps one.
  Value blockScalar(const std::string& header, size_t indent) {
    const bool folded = header[0] == '>';
    const char chomp = header.size() > 1 ? header[1] : ' ';
    std::vector<std::string> body;
    size_t at = std::string::npos;
    while (i_ < lines_.size()) {
      const std::string& l = lines_[i_];
      if (trimmed(l).empty()) {
        body.emplace_back();
        ++i_;
        continue;
      }
      const size_t n = indentOf(l);
      if (n <= indent) {
        break;
      }
      at = at == std::string::npos ? n : at;
      body.push_back(l.substr(std::min(at, n)));
      ++i_;
    }
    std::string text;
    for (size_t k = 0; k < body.size(); ++k) {
      if (!folded) {
        text += (k == 0 ? "" : "\n") + body[k];
      } else if (body[k].empty()) {
        text += '\n';  // folding: an empty line is the line break
      } else {
        text += (k > 0 && !body[k - 1].empty() ? " " : "") + body[k];
      }
    }
    size_t keep = 0;  // trailing newlines of the content
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
      ++keep;
    }
    if (!text.empty() || chomp == '+') {
      text += chomp == '-' ? "" : chomp == '+' ? std::string(keep + 1, '\n') : "\n";
    }
    return Value(text);
  }

  // The ':' that ends a key (followed by a space or the end), outside quotes.
  static size_t keySeparator(const std::string& t) {
    char quote = 0;
    for (size_t k = 0; k < t.size(); ++k) {
      if (quote != 0) {
        quote = t[k] == quote ? 0 : quote;
      } else if (t[k] == '"' || t[k] == '\'') {
        quote = k == 0 ? t[k] : 0;
      } else if (t[k] == ':' && (k + 1 == t.size() || t[k + 1] == ' ')) {
        return k;
      }
    }
    return std::string::npos;
  }

  std::vector<std::string> lines_;
  Value (*scalar_)(const std::string&, bool);
  std::map<std::string, Value> anchors_;
  size_t i_ = 0;
};

}  // namespace

Value parseYamlFrontMatter(const std::string& text, Value (*scalar)(const std::string&, bool)) {
  std::vector<std::string> lines;
  for (const auto& l : goSplit(text, "\n")) {
    lines.push_back(l.asString());
  }
  return YamlReader(std::move(lines), scalar).document();
}

}  // namespace gatehouse::templates
