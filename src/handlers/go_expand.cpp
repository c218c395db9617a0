#include "handlers/go_expand.h"

#include <algorithm>
#include <cctype>

namespace gatehouse::handlers {

namespace {

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Go's extract(): the name after '$' and how many bytes it spans; false when malformed.
bool extractName(std::string_view t, std::string_view& name, size_t& used) {
  if (t.size() < 2 || t[0] != '$') {
    return false;
  }
  if (t[1] == '{') {
    size_t close = t.find('}', 2);
    if (close == std::string_view::npos || close == 2) {
      return false;
    }
    name = t.substr(2, close - 2);
    used = close + 1;
  } else {
    size_t j = 1;
    while (j < t.size() && isNameChar(t[j])) {
      ++j;
    }
    name = t.substr(1, j - 1);
    used = j;
  }
  return !name.empty() && std::all_of(name.begin(), name.end(), isNameChar);
}

int groupIndex(std::string_view name, const re2::RE2& re) {
  if (std::all_of(name.begin(), name.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    // Go parses the number with overflow checks; anything that large names no group.
    return name.size() > 9 ? -1 : std::stoi(std::string(name));
  }
  const auto& named = re.NamedCapturingGroups();
  auto it = named.find(std::string(name));
  return it == named.end() ? -1 : it->second;
}

}  // namespace

std::string goExpand(std::string_view tmpl, const re2::RE2& re, const std::vector<std::string_view>& groups) {
  std::string out;
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    out.append(tmpl.substr(0, dollar));
    if (dollar == std::string_view::npos) {
      break;
    }
    tmpl.remove_prefix(dollar);
    if (tmpl.size() > 1 && tmpl[1] == '$') {
      out += '$';
      tmpl.remove_prefix(2);
      continue;
    }
    std::string_view name;
    size_t used = 0;
    if (!extractName(tmpl, name, used)) {
      out += '$';
      tmpl.remove_prefix(1);
      continue;
    }
    tmpl.remove_prefix(used);
    int idx = groupIndex(name, re);
    if (idx >= 0 && static_cast<size_t>(idx) < groups.size() &&
        groups[static_cast<size_t>(idx)].data() != nullptr) {
      out.append(groups[static_cast<size_t>(idx)]);
    }
  }
  return out;
}

bool firstMatch(const re2::RE2& re, std::string_view input, std::vector<std::string_view>& groups) {
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  if (!re.Match(re2::StringPiece(input.data(), input.size()), 0, input.size(), re2::RE2::UNANCHORED,
                pieces.data(), static_cast<int>(pieces.size()))) {
    return false;
  }
  groups.clear();
  for (const auto& p : pieces) {
    groups.emplace_back(p.data(), p.size());
  }
  return true;
}

std::string goReplaceAll(const re2::RE2& re, std::string_view input, std::string_view tmpl) {
  const re2::StringPiece text(input.data(), input.size());
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  std::vector<std::string_view> groups;
  std::string out;
  size_t searchPos = 0;
  size_t lastMatchEnd = 0;
  while (searchPos <= input.size()) {
    if (!re.Match(text, searchPos, input.size(), re2::RE2::UNANCHORED, pieces.data(),
                  static_cast<int>(pieces.size()))) {
      break;
    }
    const auto start = static_cast<size_t>(pieces[0].data() - input.data());
    const size_t end = start + pieces[0].size();
    out.append(input.substr(lastMatchEnd, start - lastMatchEnd));
    // No replacement for an empty match right after the previous match (as Go).
    if (end > lastMatchEnd || start == 0) {
      groups.clear();
      for (const auto& p : pieces) {
        groups.emplace_back(p.data(), p.size());
      }
      out += goExpand(tmpl, re, groups);
    }
    lastMatchEnd = end;
    // Always advance by at least one character (a UTF-8 sequence counts as one).
    size_t width = 1;
    if (searchPos < input.size()) {
      const auto c = static_cast<unsigned char>(input[searchPos]);
      width = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    }
    searchPos = searchPos + width > end ? searchPos + width : end;
  }
  if (lastMatchEnd < input.size()) {
    out.append(input.substr(lastMatchEnd));
  }
  return out;
}

}  // namespace gatehouse::handlers
