#include "router/cel/parser.h"

#include <limits>
#include <utility>

#include "router/cel/lexer.h"
#include "router/cel/macros.h"

namespace gatehouse::router::cel {

namespace {

constexpr std::string_view kReserved[] = {"as",        "break",  "const",  "continue", "else", "for",
                                          "function",  "if",     "import", "let",      "loop", "package",
                                          "namespace", "return", "var",    "void",     "while"};

NodePtr makeNode(NodeKind kind, size_t offset) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->offset = offset;
  return n;
}

NodePtr makeCall(std::string name, size_t offset, std::vector<NodePtr> args) {
  auto n = makeNode(NodeKind::Call, offset);
  n->name = std::move(name);
  n->args = std::move(args);
  return n;
}

class Parser {
 public:
  explicit Parser(std::string_view src) : toks_(lex(src)) {}

  NodePtr run() {
    NodePtr e = expr();
    if (cur().kind != Tok::End) {
      fail("Syntax error: extraneous input '" + cur().text + "'");
    }
    return e;
  }

 private:
  const Token& cur() const { return toks_[pos_]; }
  bool isPunct(std::string_view p) const { return cur().kind == Tok::Punct && cur().text == p; }
  bool isIdent(std::string_view id) const { return cur().kind == Tok::Ident && cur().text == id; }
  [[noreturn]] void fail(const std::string& message) const { throw CelError(cur().offset, message); }
  void expect(std::string_view p) {
    if (!isPunct(p)) {
      fail("Syntax error: mismatched input '" + (cur().kind == Tok::End ? std::string("<EOF>") : cur().text) +
           "' expecting '" + std::string(p) + "'");
    }
    ++pos_;
  }

  // Nesting and operator chains are bounded so that hostile input cannot build a tree deep
  // enough to exhaust the stack of the checker or the evaluator (both recurse): at most 32
  // nested sub-expressions, each with chains of at most 128 operators per precedence level.
  static constexpr int kMaxNesting = 32;
  static constexpr size_t kMaxChain = 128;
  void chainStep(size_t& count) const {
    if (++count > kMaxChain) {
      fail("expression recursion limit exceeded");
    }
  }

  struct Depth {
    explicit Depth(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNesting) {
        p_.fail("expression recursion limit exceeded");
      }
    }
    ~Depth() { --p_.depth_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
    Parser& p_;
  };

  NodePtr expr() {
    Depth guard(*this);
    NodePtr cond = logical(true);
    if (!isPunct("?")) {
      return cond;
    }
    size_t at = cur().offset;
    ++pos_;
    NodePtr yes = logical(true);
    expect(":");
    NodePtr no = expr();
    std::vector<NodePtr> args;
    args.push_back(std::move(cond));
    args.push_back(std::move(yes));
    args.push_back(std::move(no));
    return makeCall("_?_:_", at, std::move(args));
  }

  // ConditionalOr (or == true) / ConditionalAnd.
  NodePtr logical(bool orLevel) {
    NodePtr lhs = orLevel ? logical(false) : relation();
    std::string_view op = orLevel ? "||" : "&&";
    size_t chain = 0;
    while (isPunct(op)) {
      chainStep(chain);
      size_t at = cur().offset;
      ++pos_;
      NodePtr rhs = orLevel ? logical(false) : relation();
      lhs = binary(orLevel ? "_||_" : "_&&_", at, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  static NodePtr binary(std::string name, size_t at, NodePtr lhs, NodePtr rhs) {
    std::vector<NodePtr> args;
    args.push_back(std::move(lhs));
    args.push_back(std::move(rhs));
    return makeCall(std::move(name), at, std::move(args));
  }

  NodePtr relation() {
    NodePtr lhs = addition();
    size_t chain = 0;
    for (;;) {
      std::string name;
      if (isIdent("in")) {
        name = "@in";
      } else if (cur().kind == Tok::Punct) {
        const std::string& t = cur().text;
        if (t == "==" || t == "!=" || t == "<" || t == "<=" || t == ">" || t == ">=") {
          name = "_" + t + "_";
        }
      }
      if (name.empty()) {
        return lhs;
      }
      chainStep(chain);
      size_t at = cur().offset;
      ++pos_;
      lhs = binary(name, at, std::move(lhs), addition());
    }
  }

  NodePtr addition() {
    NodePtr lhs = multiplication();
    size_t chain = 0;
    while (isPunct("+") || isPunct("-")) {
      chainStep(chain);
      std::string name = "_" + cur().text + "_";
      size_t at = cur().offset;
      ++pos_;
      lhs = binary(name, at, std::move(lhs), multiplication());
    }
    return lhs;
  }

  NodePtr multiplication() {
    NodePtr lhs = unary();
    size_t chain = 0;
    while (isPunct("*") || isPunct("/") || isPunct("%")) {
      chainStep(chain);
      std::string name = "_" + cur().text + "_";
      size_t at = cur().offset;
      ++pos_;
      lhs = binary(name, at, std::move(lhs), unary());
    }
    return lhs;
  }

  NodePtr unary() {
    if (!isPunct("!") && !isPunct("-")) {
      return member();
    }
    std::string op = cur().text;
    size_t at = cur().offset;
    size_t count = 0;
    while (isPunct(op)) {
      chainStep(count);
      ++pos_;
    }
    // A minus directly before a number literal is part of it (-9223372036854775808).
    if (op == "-" && (cur().kind == Tok::Int || cur().kind == Tok::Double)) {
      NodePtr lit = negativeLiteral(at);
      --count;
      return wrapUnary(op, at, count, postfix(std::move(lit)));
    }
    return wrapUnary(op, at, count, member());
  }

  static NodePtr wrapUnary(const std::string& op, size_t at, size_t count, NodePtr operand) {
    for (size_t n = 0; n < count; ++n) {
      std::vector<NodePtr> args;
      args.push_back(std::move(operand));
      operand = makeCall(op + "_", at, std::move(args));
    }
    return operand;
  }

  NodePtr negativeLiteral(size_t at) {
    auto n = makeNode(NodeKind::Literal, at);
    if (cur().kind == Tok::Double) {
      n->literal = Value::dbl(-cur().d);
    } else {
      constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
      if (cur().u > kMinMagnitude) {
        fail("invalid int literal");
      }
      n->literal = Value::integer(cur().u == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                                           : -static_cast<int64_t>(cur().u));
    }
    ++pos_;
    return n;
  }

  NodePtr member() { return postfix(primary()); }

  NodePtr postfix(NodePtr operand) {
    size_t chain = 0;
    for (;;) {
      if (isPunct(".") || isPunct("[")) {
        chainStep(chain);
      }
      if (isPunct(".")) {
        size_t at = cur().offset;
        ++pos_;
        if (cur().kind != Tok::Ident) {
          fail("Syntax error: no viable alternative at input '.'");
        }
        std::string field = cur().text;
        ++pos_;
        if (isPunct("(")) {
          size_t callAt = cur().offset;
          ++pos_;
          std::vector<NodePtr> args = exprList(")");
          operand = expandReceiver(std::move(field), callAt, std::move(operand), std::move(args));
          continue;
        }
        auto sel = makeNode(NodeKind::Select, at);
        sel->name = std::move(field);
        sel->args.push_back(std::move(operand));
        operand = std::move(sel);
      } else if (isPunct("[")) {
        size_t at = cur().offset;
        ++pos_;
        NodePtr index = expr();
        expect("]");
        operand = binary("_[_]", at, std::move(operand), std::move(index));
      } else {
        return operand;
      }
    }
  }

  std::vector<NodePtr> exprList(std::string_view close) {
    std::vector<NodePtr> items;
    while (!isPunct(close)) {
      items.push_back(expr());
      if (!isPunct(",")) {
        break;
      }
      ++pos_;
    }
    expect(close);
    return items;
  }

  NodePtr primary() {
    const Token& t = cur();
    size_t at = t.offset;
    switch (t.kind) {
      case Tok::Int:
      case Tok::Uint:
      case Tok::Double:
      case Tok::String:
      case Tok::Bytes:
        return literal();
      case Tok::Ident:
        return identOrCall();
      case Tok::End:
        fail("Syntax error: mismatched input '<EOF>'");
      case Tok::Punct:
        break;
    }
    if (isPunct("(")) {
      ++pos_;
      NodePtr e = expr();
      expect(")");
      return e;
    }
    if (isPunct("[")) {
      ++pos_;
      auto n = makeNode(NodeKind::List, at);
      n->args = exprList("]");
      return n;
    }
    if (isPunct("{")) {
      ++pos_;
      return mapLiteral(at);
    }
    if (isPunct(".")) {
      fail("leading '.' (a qualified name from the root) is not supported yet");
    }
    fail("Syntax error: extraneous input '" + t.text + "'");
  }

  NodePtr literal() {
    const Token& t = cur();
    auto n = makeNode(NodeKind::Literal, t.offset);
    switch (t.kind) {
      case Tok::Int:
        if (t.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          fail("invalid int literal");
        }
        n->literal = Value::integer(static_cast<int64_t>(t.u));
        break;
      case Tok::Uint:
        n->literal = Value::uinteger(t.u);
        break;
      case Tok::Double:
        n->literal = Value::dbl(t.d);
        break;
      case Tok::String:
        n->literal = Value::string(t.text);
        break;
      default:
        n->literal = Value::bytes(t.text);
        break;
    }
    ++pos_;
    return n;
  }

  NodePtr identOrCall() {
    std::string name = cur().text;
    size_t at = cur().offset;
    for (std::string_view r : kReserved) {
      if (name == r) {
        fail("reserved identifier: " + name);
      }
    }
    ++pos_;
    if (name == "true" || name == "false") {
      auto n = makeNode(NodeKind::Literal, at);
      n->literal = Value::boolean(name == "true");
      return n;
    }
    if (name == "null") {
      return makeNode(NodeKind::Literal, at);
    }
    if (isPunct("(")) {
      size_t callAt = cur().offset;
      ++pos_;
      std::vector<NodePtr> args = exprList(")");
      return expandGlobal(std::move(name), callAt, std::move(args));
    }
    if (isPunct("{")) {
      throw CelError(cur().offset, "message construction ('" + name + "{...}') is not supported yet");
    }
    auto n = makeNode(NodeKind::Ident, at);
    n->name = std::move(name);
    return n;
  }

  NodePtr mapLiteral(size_t at) {
    auto n = makeNode(NodeKind::Map, at);
    while (!isPunct("}")) {
      n->args.push_back(expr());
      expect(":");
      n->args.push_back(expr());
      if (!isPunct(",")) {
        break;
      }
      ++pos_;
    }
    expect("}");
    return n;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

NodePtr makeCallNode(std::string name, size_t offset, std::vector<NodePtr> args) {
  return makeCall(std::move(name), offset, std::move(args));
}

NodePtr parse(std::string_view expression) {
  return Parser(expression).run();
}

}  // namespace gatehouse::router::cel
