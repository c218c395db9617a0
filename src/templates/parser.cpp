#include "templates/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "gatehouse/utf8.h"
#include "templates/deep_stack.h"
#include "templates/format.h"
#include "templates/lexer.h"

namespace gatehouse::templates {

namespace {

bool emptyList(const NodeList& list) {
  for (const auto& n : list) {
    if (n->kind != Node::Kind::Text || n->text.find_first_not_of(" \t\r\n") != std::string::npos) {
      return false;
    }
  }
  return true;
}

class Parser {
 public:
  Parser(TemplateSet& set, std::string name, std::vector<Token> toks,
         const std::function<bool(std::string_view)>& isFunction)
      : set_(set), name_(std::move(name)), toks_(std::move(toks)), isFunction_(isFunction) {}

  void run() {
    auto body = std::make_shared<NodeList>();
    for (;;) {
      if (peek().type == Tok::Eof) {
        break;
      }
      if (peek().type == Tok::LeftDelim && peekAt(1).type == Tok::Ident && peekAt(1).text == "define") {
        next();
        next();
        beginTree();
        parseDefine();
        endTree();
        continue;
      }
      auto [node, stop] = item();
      if (stop != Stop::None) {
        fail("unexpected {{" + std::string(stop == Stop::End ? "end" : "else") + "}}");
      }
      body->push_back(std::move(node));
    }
    addTree(name_, body, false);
    for (auto& [n, tree] : defined_) {
      set_.trees[n] = tree;
    }
  }

 private:
  enum class Stop { None, End, Else };

  // Go's parse errors name the line of the last item its Tree took from the lexer (the
  // furthest one it peeked at or read); a define or block body is parsed by a Tree of its
  // own, so its items do not count for the tree around it.
  [[noreturn]] void fail(const std::string& msg) const {
    throw TemplateError("template: " + name_ + ":" + std::to_string(toks_[seen_.back()].line) + ": " + msg);
  }
  void see(size_t i) const { seen_.back() = std::max(seen_.back(), i); }
  void beginTree() { seen_.push_back(pos_); }
  void endTree() { seen_.pop_back(); }
  const Token& peek() const {
    if (toks_[pos_].type == Tok::Error) {
      throw TemplateError(toks_[pos_].text);
    }
    see(pos_);
    return toks_[pos_];
  }
  // Go's item String() in messages: keywords as <if> (`.` and nil are keywords too), the
  // right delimiter as "}}", anything else as %q of its source text, cut to 10 runes past
  // 10 bytes.
  static std::string itemText(const Token& t) {
    static const char* const kKeywords[] = {"block", "break", "continue", "define",   "else", "end",
                                            "if",    "range", "nil",      "template", "with"};
    if (t.type == Tok::Ident) {
      for (const char* k : kKeywords) {
        if (t.text == k) {
          return "<" + t.text + ">";
        }
      }
    }
    if (t.type == Tok::Dot || t.type == Tok::Nil) {
      return t.type == Tok::Dot ? "<.>" : "<nil>";
    }
    if (t.type == Tok::Eof) {
      return "EOF";
    }
    std::string val = t.type == Tok::RightDelim ? std::string("}}")
                      : t.type == Tok::Field    ? "." + t.text
                      : t.raw.empty()           ? t.text
                                                : t.raw;
    if (val.size() <= 10) {
      return goQuote(val);
    }
    size_t cut = 0;
    for (int runes = 0; runes < 10 && cut < val.size(); ++runes) {
      cut += std::max<size_t>(1, validUtf8Length(std::string_view(val).substr(cut)));
    }
    return goQuote(val.substr(0, cut)) + "...";
  }
  const Token& peekAt(size_t k) const {
    see(std::min(pos_ + k, toks_.size() - 1));
    return toks_[std::min(pos_ + k, toks_.size() - 1)];
  }
  const Token& next() {
    see(pos_);
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) {
      ++pos_;
    }
    return t;
  }
  void expect(Tok t, const char* context) {
    if (peek().type != t) {
      fail("unexpected " + itemText(peek()) + " in " + context);
    }
    next();
  }

  // A template from this parse: a second non-empty body for one name is an error.
  void addTree(const std::string& name, std::shared_ptr<NodeList> tree, bool fromDefine) {
    auto it = defined_.find(name);
    if (it != defined_.end() && !emptyList(*it->second) && !emptyList(*tree)) {
      fail("template: multiple definition of template \"" + name + "\"");
    }
    if (!fromDefine && emptyList(*tree) && set_.trees.contains(name)) {
      return;
    }
    if (it == defined_.end() || !emptyList(*tree)) {
      defined_[name] = std::move(tree);
    }
  }

  void parseDefine() {
    if (peek().type != Tok::String) {
      fail("unexpected " + itemText(peek()) + " in define clause");
    }
    std::string name = next().text;
    expect(Tok::RightDelim, "define clause");
    const auto saved = vars_;  // a define sees only its own variables
    vars_ = {"$"};
    auto [list, stop] = itemList();
    vars_ = saved;
    if (stop != Stop::End) {
      fail("unexpected {{else}} in define clause");
    }
    addTree(name, std::make_shared<NodeList>(std::move(list)), true);
  }

  std::pair<NodeList, Stop> itemList() {
    NodeList list;
    for (;;) {
      if (peek().type == Tok::Eof) {
        fail("unexpected EOF");
      }
      auto [node, stop] = item();
      if (stop != Stop::None) {
        return {std::move(list), stop};
      }
      list.push_back(std::move(node));
    }
  }

  std::unique_ptr<Node> makeNode(Node::Kind k, int line) {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->line = line;
    return n;
  }

  // One text or action; `{{end}}` and `{{else}}` are reported as stops.
  // A page nesting deeper than the stack allows is refused (caddy parses any depth).
  void checkStack() const {
    if (stackNearlyExhausted()) {
      fail("nesting deeper than gatehouse's stack allows is not supported yet");
    }
  }

  std::pair<std::unique_ptr<Node>, Stop> item() {
    checkStack();
    const Token& t = next();
    if (t.type == Tok::Text) {
      auto n = makeNode(Node::Kind::Text, t.line);
      n->text = t.text;
      return {std::move(n), Stop::None};
    }
    if (t.type != Tok::LeftDelim) {
      fail("unexpected \"" + t.text + "\"");
    }
    const Token& k = peek();
    const int line = k.line;
    if (k.type == Tok::Ident) {
      const std::string kw = k.text;
      if (kw == "end") {
        next();
        expect(Tok::RightDelim, "end");
        return {nullptr, Stop::End};
      }
      if (kw == "else") {
        next();
        // Go reads the else's own end (or `if`) before it asks where the else may stand
        if (peek().type != Tok::RightDelim && !(peek().type == Tok::Ident && peek().text == "if")) {
          fail("unexpected " + itemText(peek()) + " in else");
        }
        return {nullptr, Stop::Else};  // the caller reads what follows
      }
      if (kw == "if" || kw == "range" || kw == "with") {
        next();
        const auto kind = kw == "if" ? Node::Kind::If : kw == "range" ? Node::Kind::Range : Node::Kind::With;
        return {control(kind, line), Stop::None};
      }
      if (kw == "template" || kw == "block") {
        next();
        return {templateCall(kw == "block", line), Stop::None};
      }
      if (kw == "break" || kw == "continue") {
        next();
        if (rangeDepth_ == 0) {
          fail("{{" + kw + "}} outside {{range}}");
        }
        expect(Tok::RightDelim, kw.c_str());
        return {makeNode(kw == "break" ? Node::Kind::Break : Node::Kind::Continue, line), Stop::None};
      }
      if (kw == "define") {
        fail("unexpected <define> in command");
      }
    }
    auto n = makeNode(Node::Kind::Action, line);
    n->pipe = pipeline("command", false);
    return {std::move(n), Stop::None};
  }

  std::unique_ptr<Node> control(Node::Kind kind, int line) {
    const size_t mark = vars_.size();
    auto n = makeNode(kind, line);
    const char* ctx = kind == Node::Kind::If ? "if" : kind == Node::Kind::Range ? "range" : "with";
    n->pipe = pipeline(ctx, kind == Node::Kind::Range);
    if (kind == Node::Kind::Range) {
      ++rangeDepth_;
    }
    auto [list, stop] = itemList();
    if (kind == Node::Kind::Range) {
      --rangeDepth_;
    }
    n->list = std::move(list);
    if (stop == Stop::Else) {
      if (kind != Node::Kind::If && peek().type == Tok::Ident && peek().text == "if") {
        // Go 1.19 has {{else if}} in if only: range/with read the pending `if` as an item
        fail("unexpected <if> in input");
      }
      if (kind == Node::Kind::If && peek().type == Tok::Ident && peek().text == "if") {
        // {{else if ...}}: a nested if that shares this one's {{end}}.
        const int l = peek().line;
        next();
        n->elseList.push_back(control(Node::Kind::If, l));
      } else {
        expect(Tok::RightDelim, "else");
        auto [elseList, stop2] = itemList();
        if (stop2 != Stop::End) {
          fail("expected end; found {{else}}");
        }
        n->elseList = std::move(elseList);
      }
    }
    vars_.resize(mark);
    return n;
  }

  std::unique_ptr<Node> templateCall(bool block, int line) {
    const char* ctx = block ? "block clause" : "template clause";
    if (peek().type != Tok::String) {
      fail("unexpected " + itemText(peek()) + " in " + ctx);
    }
    auto n = makeNode(Node::Kind::Template, line);
    n->line = peek().line;
    n->col = peek().col;
    n->text = next().text;
    if (peek().type != Tok::RightDelim) {
      n->pipe = pipeline(ctx, false);
    } else if (block) {
      fail("missing value for block clause");  // Go's block takes a pipeline
    } else {
      next();
    }
    if (block) {
      const auto saved = vars_;
      vars_ = {"$"};
      beginTree();
      auto [list, stop] = itemList();
      vars_ = saved;
      if (stop != Stop::End) {
        fail("unexpected {{else}} in block clause");
      }
      addTree(n->text, std::make_shared<NodeList>(std::move(list)), true);
      endTree();
    }
    return n;
  }

  bool declared(const std::string& v) const {
    for (const auto& d : vars_) {
      if (d == v) {
        return true;
      }
    }
    return false;
  }

  // pipeline up to and including the closing delimiter (or the right paren when nested).
  std::shared_ptr<Pipeline> pipeline(const char* ctx, bool allowTwoVars, bool nested = false) {
    checkStack();
    auto p = std::make_shared<Pipeline>();
    p->line = peek().line;
    p->col = peek().col;
    // Declarations: $x := / $x = / $i, $v :=
    if (peek().type == Tok::Variable) {
      size_t k = 0;
      std::vector<std::string> names;
      while (peekAt(k).type == Tok::Variable) {
        names.push_back(peekAt(k).text);
        if (peekAt(k + 1).type == Tok::Comma && allowTwoVars && names.size() < 2) {
          k += 2;
          continue;
        }
        break;
      }
      const Tok after = peekAt(k + 1).type;
      if (after == Tok::Declare || after == Tok::Assign) {
        p->assign = after == Tok::Assign;
        for (size_t i = 0; i <= k; ++i) {
          next();
        }
        next();
        // (Go's parser takes `$x = ` of an undeclared $x; the assignment fails when it runs)
        p->decl = names;
      } else if (names.size() > 1) {
        fail("too many declarations in " + std::string(ctx));
      }
    }
    for (;;) {
      const Tok t = peek().type;
      if (t == Tok::RightDelim && !nested) {
        next();
        break;
      }
      if (t == Tok::RParen && nested) {
        next();
        break;
      }
      if (t == Tok::Eof || t == Tok::RightDelim || t == Tok::RParen || t == Tok::Pipe) {
        fail("unexpected " + itemText(peek()) + " in " + ctx);
      }
      p->cmds.push_back(command(ctx, nested));
      if (peek().type == Tok::Pipe) {
        next();  // (Go 1.19 takes a trailing '|' before the end: `{{.X | }}` is `{{.X}}`)
      }
    }
    if (p->cmds.empty()) {
      fail(std::string("missing value for ") + ctx);
    }
    // Go's checkPipeline: a later stage must be something that takes the piped value
    for (size_t k = 1; k < p->cmds.size(); ++k) {
      const Operand& first = p->cmds[k].args[0];
      if (first.kind == Operand::Kind::Dot ||
          (first.kind == Operand::Kind::Constant && first.fields.empty())) {
        fail("non executable command in pipeline stage " + std::to_string(k + 1));
      }
    }
    p->text = pipelineText(*p);
    for (auto& nm : p->decl) {  // Go's parser records an assigned name as declared too
      vars_.push_back(nm);
    }
    return p;
  }

  // How much of `t` Go's lexer scans as a number (sign, base prefix, digits with '_', a
  // fraction, an exponent, 'i').
  static size_t goNumberScan(const std::string& t) {
    size_t i = 0;
    auto run = [&](std::string_view set) {
      while (i < t.size() && set.find(t[i]) != std::string_view::npos) {
        ++i;
      }
    };
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
      ++i;
    }
    std::string_view digits = "0123456789_";
    char expo = 'e';
    if (i + 1 < t.size() && t[i] == '0') {
      const char b = static_cast<char>(std::tolower(static_cast<unsigned char>(t[i + 1])));
      if (b == 'x') {
        digits = "0123456789abcdefABCDEF_";
        expo = 'p';
        i += 2;
      } else if (b == 'o') {
        digits = "01234567_";
        i += 2;
      } else if (b == 'b') {
        digits = "01_";
        i += 2;
      }
    }
    run(digits);
    if (i < t.size() && t[i] == '.') {
      ++i;
      run(digits);
    }
    if (i < t.size() && std::tolower(static_cast<unsigned char>(t[i])) == expo) {
      ++i;
      if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
        ++i;
      }
      run("0123456789_");
    }
    if (i < t.size() && t[i] == 'i') {
      ++i;
    }
    return i;
  }

  static std::string pipelineText(const Pipeline& p) {
    std::string out;
    for (size_t i = 0; i < p.decl.size(); ++i) {
      out += (i > 0 ? ", " : "") + p.decl[i];
    }
    if (!p.decl.empty()) {
      out += " := ";  // Go prints ":=" for an assignment too
    }
    for (size_t i = 0; i < p.cmds.size(); ++i) {
      out += (i > 0 ? " | " : "") + p.cmds[i].text;
    }
    return out;
  }

  Command command(const char* ctx, bool /*nested: any ")" ends a command*/) {
    Command c;
    c.line = peek().line;
    c.col = peek().col;
    for (;;) {
      const Tok t = peek().type;
      if (t == Tok::Pipe || t == Tok::RightDelim || t == Tok::RParen) {
        break;
      }
      if (!c.args.empty() && !peek().spaceBefore) {  // Go reads an operand, then a space or the end
        fail("unexpected " + itemText(peek()) + " in operand");
      }
      c.args.push_back(operand(ctx));
    }
    if (c.args.empty()) {
      fail(std::string("empty command"));
    }
    for (const auto& a : c.args) {
      c.text += (c.text.empty() ? "" : " ") + a.text;
    }
    return c;
  }

  Value number(const std::string& text) {
    // Go's underscoreOK: an '_' only between digits, or after a base prefix
    for (size_t k = 0; k < text.size(); ++k) {
      if (text[k] != '_') {
        continue;
      }
      const auto prev = static_cast<unsigned char>(k > 0 ? text[k - 1] : ' ');
      const auto nextc = static_cast<unsigned char>(k + 1 < text.size() ? text[k + 1] : ' ');
      const bool prefix =
          (prev == 'x' || prev == 'X' || prev == 'o' || prev == 'O' || prev == 'b' || prev == 'B') &&
          k >= 2 && text[k - 2] == '0';
      if (!(std::isxdigit(prev) || prefix) || !std::isxdigit(nextc)) {
        fail("illegal number syntax: \"" + text + "\"");
      }
    }
    std::string s = text;
    std::erase(s, '_');
    const bool neg = !s.empty() && s[0] == '-';
    std::string body = neg || (!s.empty() && s[0] == '+') ? s.substr(1) : s;
    int base = 10;
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
      base = 16;
      body = body.substr(2);
    } else if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O')) {
      base = 8;
      body = body.substr(2);
    } else if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B')) {
      base = 2;
      body = body.substr(2);
    } else if (body.size() > 1 && body[0] == '0' && body.find_first_of(".eE") == std::string::npos) {
      base = 8;
      body = body.substr(1);
    }
    int64_t n = 0;
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), n, base);
    if (ec == std::errc() && p == body.data() + body.size()) {
      return Value(neg ? -n : n);
    }
    // Go: a number that reads as a float but has no '.', exponent or 'p' is an integer too
    // large (or, like "09", a bad octal one): refused
    if (base != 16 && s.find_first_of(".eEpP") == std::string::npos) {
      char* stop = nullptr;
      std::strtod(s.c_str(), &stop);
      if (stop != s.c_str() && *stop == '\0') {
        fail("integer overflow: \"" + text + "\"");
      }
    }
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') {
      const size_t scanned = goNumberScan(text);
      if (scanned < text.size()) {  // Go's lexer stops at the first byte its number scan refuses
        fail("bad number syntax: \"" + text.substr(0, scanned + 1) + "\"");
      }
      fail("illegal number syntax: \"" + text + "\"");
    }
    return Value(d);
  }

  Operand operand(const char* ctx) {
    Operand o;
    const Token& t = next();
    o.text = t.text;
    o.line = t.line;
    o.col = t.col;
    switch (t.type) {
      case Tok::Ident:
        if (!isFunction_(t.text)) {
          fail("function \"" + t.text + "\" not defined");
        }
        o.kind = Operand::Kind::Function;
        o.name = t.text;
        break;
      case Tok::Dot:
        o.kind = Operand::Kind::Dot;
        o.text = ".";
        break;
      case Tok::Field:
        o.kind = Operand::Kind::Field;
        o.fields.push_back(t.text);
        o.text = "." + t.text;
        break;
      case Tok::Variable:
        if (!declared(t.text)) {
          fail("undefined variable \"" + t.text + "\"");
        }
        o.kind = Operand::Kind::Variable;
        o.name = t.text;
        break;
      case Tok::String:
        o.constant = Value(t.text);
        o.text = t.raw;
        break;
      case Tok::Bool:
        o.constant = Value(t.text == "true");
        break;
      case Tok::Nil:
        o.constant = Value();
        break;
      case Tok::Char:
        o.constant = Value(static_cast<int64_t>(std::stoll(t.text)));
        o.text = t.raw;
        break;
      case Tok::Number:
        o.constant = number(t.text);
        break;
      case Tok::LParen:
        // Each level keeps its text for error messages (Go prints them lazily): the memory
        // grows with the square of the depth, so deep nesting is refused.
        if (++parenDepth_ > kMaxParenDepth) {
          fail("parentheses nested deeper than " + std::to_string(kMaxParenDepth) + " are not supported yet");
        }
        o.kind = Operand::Kind::Pipe;
        o.pipe = pipeline(ctx, false, true);
        o.text = "(" + o.pipe->text + ")";
        --parenDepth_;
        break;
      default:
        fail("unexpected \"" + t.text + "\" in operand");
    }
    // Field chain: .A.B directly after the term.
    while (peek().type == Tok::Field && !peek().spaceBefore) {
      if (o.kind == Operand::Kind::Constant && !o.constant.isNil()) {
        fail("unexpected . after term " + goQuote(o.text));
      }
      if (o.kind == Operand::Kind::Function) {
        fail("unexpected . after term " + goQuote(o.text));
      }
      if (o.line == t.line && o.col == t.col) {  // Go's chain node starts at its first field
        o.line = peek().line;
        o.col = peek().col;
      }
      o.fields.push_back(next().text);
      o.text += "." + o.fields.back();
    }
    return o;
  }

  TemplateSet& set_;
  std::string name_;
  std::vector<Token> toks_;
  mutable std::vector<size_t> seen_{0};  // per Tree being parsed: the furthest item it took
  const std::function<bool(std::string_view)>& isFunction_;
  size_t pos_ = 0;
  std::vector<std::string> vars_{"$"};
  int rangeDepth_ = 0;
  static constexpr int kMaxParenDepth = 1000;
  int parenDepth_ = 0;
  std::map<std::string, std::shared_ptr<NodeList>> defined_;
};

}  // namespace

void parseTemplate(TemplateSet& set, const std::string& name, std::string_view text,
                   const std::function<bool(std::string_view)>& isFunction, const Delims& delims) {
  Parser(set, name, lexTemplate(name, text, delims.left, delims.right), isFunction).run();
}

}  // namespace gatehouse::templates
