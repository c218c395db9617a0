#include "router/cel/expression_matcher.h"

#include "provision/provision_error.h"
#include "router/cel/caddy_functions.h"
#include "router/cel/checker.h"
#include "router/cel/evaluator.h"
#include "router/cel/lexer.h"
#include "router/cel/macros.h"
#include "router/cel/parser.h"
#include "router/matcher_error.h"

namespace gatehouse::router::cel {

using provision::ProvisionError;

namespace {

bool isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

class ExpressionMatcher final : public runtime::Matcher {
 public:
  explicit ExpressionMatcher(NodePtr root) : root_(std::move(root)) {}
  bool match(runtime::Exchange& ex) const override {
    Value out = Evaluator(&ex).eval(*root_);
    if (out.isError()) {
      // Caddy 2.6.2 records the error for the route, which then fails with a plain error
      // (500) unless another matcher set of the route matches.
      setMatcherError(ex, 0, out.s);
      return false;
    }
    return out.kind == Kind::Bool && out.b;
  }

 private:
  NodePtr root_;
};

// cel-go's error text: "ERROR: <input>:LINE:COL: message" and the line with a caret.
std::string describe(const std::string& expr, const CelError& e) {
  size_t offset = std::min(e.offset(), expr.size());
  size_t lineStart = expr.rfind('\n', offset == 0 ? 0 : offset - 1);
  lineStart = (lineStart == std::string::npos || lineStart >= offset) ? 0 : lineStart + 1;
  size_t line = 1;
  for (size_t i = 0; i < lineStart; ++i) {
    line += expr[i] == '\n' ? 1 : 0;
  }
  size_t lineEnd = expr.find('\n', lineStart);
  std::string text =
      expr.substr(lineStart, lineEnd == std::string::npos ? std::string::npos : lineEnd - lineStart);
  return "compiling CEL program: ERROR: <input>:" + std::to_string(line) + ":" +
         std::to_string(offset - lineStart + 1) + ": " + e.what() + "\n | " + text + "\n | " +
         std::string(offset - lineStart, '.') + "^";
}

}  // namespace

std::string expandPlaceholders(const std::string& expr) {
  std::string out;
  size_t i = 0;
  while (i < expr.size()) {
    // Caddy 2.6.2's pattern: `{([a-zA-Z][\w.-]+)}`.
    const bool letter = i + 1 < expr.size() && ((expr[i + 1] | 0x20) >= 'a' && (expr[i + 1] | 0x20) <= 'z');
    if (expr[i] == '{' && letter) {
      size_t j = i + 2;
      while (j < expr.size() && isWordChar(expr[j])) {
        ++j;
      }
      if (j > i + 2 && j < expr.size() && expr[j] == '}') {
        // Appended piece by piece: GCC 12 warns falsely (-Warray-bounds) on the chained operator+.
        out.append(kPlaceholderFunction).append("(").append(kRequestVariable).append(", \"");
        out.append(expr, i + 1, j - i - 1).append("\")");
        i = j + 1;
        continue;
      }
    }
    out += expr[i++];
  }
  return out;
}

std::unique_ptr<runtime::Matcher> makeExpressionMatcher(const config::Json& value, const std::string& path) {
  std::string expr;
  if (value.is_string()) {
    expr = value.get<std::string>();
  } else if (value.is_object() && value.contains("expr") && value["expr"].is_string()) {
    expr = value["expr"].get<std::string>();
    if (value.contains("name") && !value["name"].is_string()) {
      throw ProvisionError(path + ".name", "expected a string");
    }
  } else {
    throw ProvisionError(path, "expected a CEL expression string or an object with \"expr\"");
  }
  std::string expanded = expandPlaceholders(expr);
  try {
    NodePtr root = parse(expanded);
    Type t = check(*root);
    if (t.k != TK::Bool) {
      throw ProvisionError(path, "CEL request matcher expects return type of bool, not " + typeString(t));
    }
    compileCaddyFunctions(*root, path);
    return std::make_unique<ExpressionMatcher>(std::move(root));
  } catch (const CelError& e) {
    throw ProvisionError(path, describe(expanded, e));
  }
}

}  // namespace gatehouse::router::cel
