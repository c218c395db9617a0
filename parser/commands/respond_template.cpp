// The body template of `caddy respond`: Go's text/template evaluated over {N, Port, Address}.
// Only what the command documents is supported (field actions, comments, trim markers);
// other actions are refused rather than printed wrong.

#include <string_view>

#include "gatehouse/parser/command_configs.h"
#include "gatehouse/parser/config_error.h"

namespace gatehouse::parser {

namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int lineAt(const std::string& text, size_t pos) {
  int line = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    line += text[i] == '\n' ? 1 : 0;
  }
  return line;
}

// text/template's "template: body:LINE: message" (parse errors).
ConfigError parseError(const std::string& text, size_t pos, const std::string& message) {
  return ConfigError("template: body:" + std::to_string(lineAt(text, pos)) + ": " + message);
}

struct Context {
  int n;
  unsigned port;
  const std::string& address;
};

// The value of one field action, or a ConfigError as text/template words it.
std::string fieldValue(const std::string& text, size_t pos, std::string_view action, const Context& ctx) {
  if (action == ".") {
    return "{" + std::to_string(ctx.n) + " " + std::to_string(ctx.port) + " " + ctx.address + "}";
  }
  if (action == ".N") {
    return std::to_string(ctx.n);
  }
  if (action == ".Port") {
    return std::to_string(ctx.port);
  }
  if (action == ".Address") {
    return ctx.address;
  }
  const bool identifier =
      action.size() > 1 && action[0] == '.' &&
      action.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", 1) ==
          std::string_view::npos &&
      !(action[1] >= '0' && action[1] <= '9');
  if (!identifier) {
    throw parseError(text, pos,
                     "action {{" + std::string(action) +
                         "}} is not supported yet (only {{.N}}, {{.Port}}, {{.Address}} and {{.}})");
  }
  // An execution error: "body:LINE:COL", COL the byte offset of the field in its line.
  const size_t lineStart = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  const size_t col = lineStart == std::string::npos || pos == 0 ? pos : pos - lineStart - 1;
  throw ConfigError("template: body:" + std::to_string(lineAt(text, pos)) + ":" + std::to_string(col) +
                    ": executing \"body\" at <" + std::string(action) + ">: can't evaluate field " +
                    std::string(action.substr(1)) + " in type struct { N int; Port uint; Address string }");
}

void trimRight(std::string& out) {
  while (!out.empty() && isSpace(out.back())) {
    out.pop_back();
  }
}

}  // namespace

std::string respondBodyTemplate(const std::string& body, int n, unsigned port, const std::string& address) {
  const Context ctx{n, port, address};
  std::string out;
  size_t i = 0;
  bool trimNext = false;  // the previous action ended with " -}}"
  while (i < body.size()) {
    const size_t open = body.find(kOpen, i);
    std::string text = body.substr(i, open == std::string::npos ? std::string::npos : open - i);
    if (trimNext) {
      const size_t keep = text.find_first_not_of(" \t\r\n");
      text.erase(0, keep == std::string::npos ? text.size() : keep);
    }
    out += text;
    if (open == std::string::npos) {
      break;
    }
    size_t p = open + kOpen.size();
    // "{{- " trims the text before; the dash must be followed by a space
    if (p + 1 < body.size() && body[p] == '-' && isSpace(body[p + 1])) {
      trimRight(out);
      p += 2;
    }
    const bool comment = body.compare(p, 2, "/*") == 0;
    if (comment) {
      const size_t end = body.find("*/", p + 2);
      if (end == std::string::npos) {
        throw parseError(body, open, "unclosed comment");
      }
      p = end + 2;
    }
    const size_t close = body.find(kClose, p);
    if (close == std::string::npos) {
      throw parseError(body, body.size(), "unclosed action");
    }
    size_t last = close;
    trimNext = false;
    if (last >= p + 2 && body[last - 1] == '-' && isSpace(body[last - 2])) {
      trimNext = true;
      last -= 2;
    }
    std::string_view action(body.data() + p, last - p);
    const size_t lead = action.find_first_not_of(" \t\r\n");
    if (comment) {
      if (lead != std::string_view::npos) {
        throw parseError(body, open, "comment ends before closing delimiter");
      }
    } else {
      if (lead == std::string_view::npos) {
        throw parseError(body, open, "missing value for command");
      }
      action.remove_prefix(lead);
      action = action.substr(0, action.find_last_not_of(" \t\r\n") + 1);
      out += fieldValue(body, p + lead, action, ctx);
    }
    i = close + kClose.size();
  }
  return out;
}

}  // namespace gatehouse::parser
