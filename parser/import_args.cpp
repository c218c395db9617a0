#include "import_args.h"

#include <optional>
#include <string_view>

namespace gatehouse::parser {
namespace {

// Go's strconv.Atoi: optional sign, then decimal digits only.
std::optional<long long> parseInt(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18) {
    return std::nullopt;
  }
  long long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

// The value of one placeholder key, or nullopt when the key is not an argument we know.
std::optional<std::string> lookupArg(std::string_view key, const std::vector<std::string>& args) {
  auto pick = [&](std::string_view index) -> std::optional<std::string> {
    auto n = parseInt(index);
    if (!n || *n < 0 || *n >= static_cast<long long>(args.size())) {
      return std::nullopt;
    }
    return args[static_cast<size_t>(*n)];
  };
  // Deprecated {args.N}: the key must be exactly "args.<something>"; a key that merely
  // contains "args." is not an argument (and is not tried in the other form either).
  if (const size_t dot = key.find("args."); dot != std::string_view::npos && dot + 5 < key.size()) {
    if (dot != 0) {
      return std::nullopt;
    }
    return pick(key.substr(5));
  }
  // {args[N]}: the key must be exactly "args[...]".
  if (key.size() > 6 && key.substr(0, 5) == "args[" && key.back() == ']') {
    std::string_view index = key.substr(5, key.size() - 6);
    if (index.find(':') != std::string_view::npos) {
      return std::nullopt;  // a variadic range only works as a whole token
    }
    return pick(index);
  }
  return std::nullopt;
}

constexpr int kMaxUnclosed = 100;

}  // namespace

std::string replaceImportArgs(const std::string& input, const std::vector<std::string>& args) {
  if (input.find('{') == std::string::npos && input.find('}') == std::string::npos) {
    return input;
  }
  std::string out;
  size_t lastWrite = 0;
  int unclosed = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    if (i > 0 && input[i - 1] == '\\' && (input[i] == '{' || input[i] == '}')) {
      out.append(input, lastWrite, i - 1 - lastWrite);
      lastWrite = i;
      continue;
    }
    if (input[i] != '{') {
      continue;
    }
    if (unclosed > kMaxUnclosed) {
      return "";  // Caddy gives up on absurd input and yields nothing
    }
    size_t end = input.find('}', i);
    if (end == std::string::npos) {
      ++unclosed;
      continue;
    }
    // Skip escaped closing braces.
    bool closed = true;
    while (end > 0 && end < input.size() - 1 && input[end - 1] == '\\') {
      const size_t next = input.find('}', end + 1);
      if (next == std::string::npos) {
        ++unclosed;
        closed = false;
        break;
      }
      end = next;
    }
    if (!closed) {
      continue;
    }
    auto value = lookupArg(std::string_view(input).substr(i + 1, end - i - 1), args);
    if (!value) {
      continue;
    }
    out.append(input, lastWrite, i - lastWrite);
    out += *value;
    i = end;
    lastWrite = i + 1;
  }
  if (lastWrite < input.size()) {
    out.append(input, lastWrite, std::string::npos);
  }
  return out;
}

bool parseVariadicArgs(const std::string& text, size_t argCount, size_t& start, size_t& end) {
  constexpr std::string_view kOpen = "{args[", kClose = "]}";
  std::string_view t(text);
  if (t.size() < kOpen.size() + kClose.size() || t.substr(0, kOpen.size()) != kOpen ||
      t.substr(t.size() - kClose.size()) != kClose) {
    return false;
  }
  std::string_view range = t.substr(kOpen.size(), t.size() - kOpen.size() - kClose.size());
  const size_t colon = range.find(':');
  if (range.empty() || colon == std::string_view::npos) {
    return false;
  }
  std::string_view from = range.substr(0, colon), to = range.substr(colon + 1);
  // "{args[0]}:{args[1]}" is two placeholders joined by a colon, not a range.
  if (from.find('}') != std::string_view::npos || to.find('{') != std::string_view::npos) {
    return false;
  }
  long long lo = 0, hi = static_cast<long long>(argCount);
  if (!from.empty()) {
    auto n = parseInt(from);
    if (!n)
      return false;
    lo = *n;
  }
  if (!to.empty()) {
    auto n = parseInt(to);
    if (!n)
      return false;
    hi = *n;
  }
  if (lo < 0 || lo > hi || hi > static_cast<long long>(argCount)) {
    return false;
  }
  start = static_cast<size_t>(lo);
  end = static_cast<size_t>(hi);
  return true;
}

}  // namespace gatehouse::parser
