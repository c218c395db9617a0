#include "templates/executor.h"

#include "http/uri.h"
#include "templates/deep_stack.h"

namespace gatehouse::templates {

namespace {

constexpr int kMaxDepth = 100000;         // Go's maxExecDepth on 64-bit (deep_stack.h gives the room)
constexpr size_t kMaxOutput = 64u << 20;  // a runaway loop must not exhaust memory

struct BreakSignal {};
struct ContinueSignal {};

class Exec {
 public:
  // parseName: the template whose text holds the running tree (Go's Tree.ParseName): a
  // `define`d template run by {{template}} reports its places in the file that defined it.
  Exec(const TemplateSet& set, const FuncMap& funcs, std::string name, std::string parseName,
       std::string& out, int depth)
      : set_(set),
        funcs_(funcs),
        name_(std::move(name)),
        parseName_(std::move(parseName)),
        out_(out),
        depth_(depth) {}

  // Holds the tree: `import` may replace it in the set while it runs.
  void run(std::shared_ptr<NodeList> tree, const Value& dot) {
    vars_.emplace_back("$", dot);
    walkList(*tree, dot);
  }

 private:
  // Go's ExecError text: the node's place as "line:column" (column 0-based) and its String().
  [[noreturn]] void fail(const std::string& msg) const {
    throw TemplateError("template: " + parseName_ + ":" + std::to_string(line_) + ":" + std::to_string(col_) +
                        ": executing \"" + name_ + "\" at <" + at_ + ">: " + msg);
  }
  void at(std::string text, int line, int col) {
    at_ = std::move(text);
    line_ = line;
    col_ = col;
  }

  void walkList(const NodeList& list, const Value& dot) {
    for (const auto& n : list) {
      walk(*n, dot);
    }
  }

  // Deeper than the stack allows (a hostile page): fail as Go does at its depth limit.
  void checkStack() const {
    if (stackNearlyExhausted()) {
      fail("exceeded maximum template depth (" + std::to_string(kMaxDepth) + ")");
    }
  }

  void walk(const Node& n, const Value& dot) {
    checkStack();
    line_ = n.line;
    col_ = n.pipe ? n.pipe->col : 0;
    switch (n.kind) {
      case Node::Kind::Text:
        out_ += n.text;
        break;
      case Node::Kind::Action: {
        Value v = evalPipeline(*n.pipe, dot);
        if (n.pipe->decl.empty()) {
          appendValue(out_, v, true);
        }
        break;
      }
      case Node::Kind::If:
      case Node::Kind::With: {
        const size_t mark = vars_.size();
        Value v = evalPipeline(*n.pipe, dot);
        if (truth(v)) {
          walkList(n.list, n.kind == Node::Kind::With ? v : dot);
        } else {
          walkList(n.elseList, dot);
        }
        vars_.resize(mark);
        break;
      }
      case Node::Kind::Range:
        walkRange(n, dot);
        break;
      case Node::Kind::Template:
        walkTemplate(n, dot);
        break;
      case Node::Kind::Break:
        throw BreakSignal{};
      case Node::Kind::Continue:
        throw ContinueSignal{};
    }
    if (out_.size() > kMaxOutput) {
      fail("output exceeds " + std::to_string(kMaxOutput) + " bytes");
    }
  }

  // One iteration: binds $i/$v as declared, runs the body; false on {{break}}.
  bool iterate(const Node& n, const Value& key, const Value& elem) {
    const size_t mark = vars_.size();
    const auto& decl = n.pipe->decl;
    if (decl.size() == 1) {
      vars_.emplace_back(decl[0], elem);
    } else if (decl.size() == 2) {
      vars_.emplace_back(decl[0], key);
      vars_.emplace_back(decl[1], elem);
    }
    bool more = true;
    try {
      walkList(n.list, elem);
    } catch (const BreakSignal&) {
      more = false;
    } catch (const ContinueSignal&) {
    }
    vars_.resize(mark);
    return more;
  }

  // An element of a slice or map as Go hands it on: a nil one is a nil interface.
  static Value element(const Value& v) { return v.isNil() ? typed(Value(), kInterfaceNil) : v; }

  void walkRange(const Node& n, const Value& dot) {
    const size_t mark = vars_.size();
    // The declared variables are bound per iteration, not to the pipeline's value.
    Pipeline bare = *n.pipe;
    bare.decl.clear();
    Value v = evalPipeline(bare, dot);
    bool any = false;
    if (v.isList()) {
      auto items = v.v;  // keep the list alive while the body runs
      const List& list = v.asList();
      for (size_t i = 0; i < list.size(); ++i) {
        any = true;
        if (!iterate(n, Value(static_cast<int64_t>(i)), element(list[i]))) {
          break;
        }
      }
    } else if (v.isMap()) {
      auto keep = v.v;
      for (const auto& [k, item] : v.asMap().entries) {
        any = true;
        if (!iterate(n, Value(k), element(item))) {
          break;
        }
      }
    } else if (!v.isNil()) {
      // Go's error names the node it evaluated last (the pipeline's operand), not the range
      fail("range can't iterate over " + printValue(v));
    }
    if (!any) {
      walkList(n.elseList, dot);
    }
    vars_.resize(mark);
  }

  void walkTemplate(const Node& n, const Value& dot) {
    auto it = set_.trees.find(n.text);
    if (it == set_.trees.end()) {
      // Go's TemplateNode.String() carries the argument pipeline too
      at("{{template \"" + n.text + "\"" + (n.pipe ? " " + n.pipe->text : std::string()) + "}}", n.line,
         n.col);
      fail("template \"" + n.text + "\" not defined");
    }
    if (depth_ >= kMaxDepth) {  // (Go checks before the argument runs, at the template node)
      at("{{template \"" + n.text + "\"" + (n.pipe ? " " + n.pipe->text : std::string()) + "}}", n.line,
         n.col);
      fail("exceeded maximum template depth (" + std::to_string(kMaxDepth) + ")");
    }
    Value arg = n.pipe ? evalPipeline(*n.pipe, dot) : Value();
    Exec sub(set_, funcs_, n.text, parseName_, out_, depth_ + 1);
    sub.run(it->second, arg);
  }

  Value evalPipeline(const Pipeline& p, const Value& dot) {
    checkStack();
    line_ = p.line;
    col_ = p.col;
    Value v;
    bool hasFinal = false;
    for (const auto& cmd : p.cmds) {
      v = evalCommand(cmd, dot, hasFinal ? &v : nullptr);
      if (v.isNil()) {
        v.goType = nullptr;  // Go's pipeline digs a nil interface down to no value
      }
      hasFinal = true;
    }
    for (const auto& name : p.decl) {
      if (p.assign) {
        setVar(name, v);
      } else {
        vars_.emplace_back(name, v);
      }
    }
    return v;
  }

  Value& var(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        return it->second;
      }
    }
    fail("undefined variable: " + name);
  }
  void setVar(const std::string& name, const Value& v) { var(name) = v; }

  Value evalCommand(const Command& cmd, const Value& dot, Value* final) {
    const Operand& first = cmd.args[0];
    at(first.text, first.line, first.col);
    switch (first.kind) {
      case Operand::Kind::Function:
        return callFunction(first.name, cmd, dot, final);
      case Operand::Kind::Field:
        return evalFields(dot, first.fields, cmd, dot, final);
      case Operand::Kind::Variable:
        if (!first.fields.empty()) {
          return evalFields(var(first.name), first.fields, cmd, dot, final);
        }
        break;
      case Operand::Kind::Pipe:
        if (!first.fields.empty()) {
          return evalFields(evalPipeline(*first.pipe, dot), first.fields, cmd, dot, final);
        }
        break;
      case Operand::Kind::Dot:
      case Operand::Kind::Constant:
        break;
    }
    if (cmd.args.size() > 1 || final != nullptr) {
      if (first.kind == Operand::Kind::Pipe && first.pipe) {
        // Go places this at the enclosing command and names the inner pipeline bare
        at(cmd.text, cmd.line, cmd.col);
        fail("can't give argument to non-function " + first.pipe->text);
      }
      fail("can't give argument to non-function " + first.text);
    }
    if (first.kind == Operand::Kind::Constant && first.constant.isNil()) {
      fail("nil is not a command");
    }
    return evalArg(first, dot);
  }

  Value evalArg(const Operand& o, const Value& dot) {
    if (o.kind != Operand::Kind::Function) {
      at(o.text, o.line, o.col);  // Go's evalArg places later errors at the argument
    }
    switch (o.kind) {
      case Operand::Kind::Dot:
        return dot;
      case Operand::Kind::Constant:
        return o.constant;
      case Operand::Kind::Variable: {
        Value v = var(o.name);
        return o.fields.empty() ? v : evalFields(v, o.fields, Command{}, dot, nullptr);
      }
      case Operand::Kind::Field:
        return evalFields(dot, o.fields, Command{}, dot, nullptr);
      case Operand::Kind::Pipe: {
        const size_t mark = vars_.size();
        Value v = evalPipeline(*o.pipe, dot);
        vars_.resize(mark);
        return o.fields.empty() ? v : evalFields(v, o.fields, Command{}, dot, nullptr);
      }
      case Operand::Kind::Function: {
        Command c{{o}, o.line, o.col, o.text};  // Go passes the bare identifier as the command
        return callFunction(o.name, c, dot, nullptr);
      }
    }
    return {};
  }

  Args evalArgs(const Command& cmd, const Value& dot, Value* final) {
    Args args;
    for (size_t i = 1; i < cmd.args.size(); ++i) {
      args.push_back(evalArg(cmd.args[i], dot));
    }
    if (final != nullptr) {
      args.push_back(*final);
    }
    return args;
  }

  // receiver.F1.F2...Fn, the last one given the command's arguments (a method call).
  Value evalFields(Value receiver, const std::vector<std::string>& fields, const Command& cmd,
                   const Value& dot, Value* final) {
    for (size_t i = 0; i < fields.size(); ++i) {
      const bool last = i + 1 == fields.size();
      Args args;
      if (last) {
        // Go places a failed method call at the field chain, not at its last argument
        const std::string chain = at_;
        const int line = line_;
        const int col = col_;
        args = evalArgs(cmd, dot, final);
        at(chain, line, col);
      }
      receiver = field(receiver, fields[i], args, last && (cmd.args.size() > 1 || final != nullptr));
    }
    return receiver;
  }

  Value field(const Value& recv, const std::string& name, Args& args, bool hasArgs) {
    if (recv.isNil()) {
      if (hasArgs || recv.goType == kInterfaceNil) {
        fail("nil pointer evaluating interface {}." + name);
      }
      return {};
    }
    if (recv.isMap()) {
      const MapData& m = recv.asMap();
      if (m.kind == MapData::Kind::UrlValues && name == "Has") {  // url.Values.Has (Go 1.17)
        if (args.size() != 1 || !args[0].isString()) {
          fail("wrong number of args for Has: want 1 got " + std::to_string(args.size()));
        }
        return Value(m.entries.contains(args[0].asString()));
      }
      if (m.kind == MapData::Kind::UrlValues && name == "Encode") {  // url.Values.Encode: sorted keys
        if (!args.empty()) {
          fail("wrong number of args for Encode: want 0 got " + std::to_string(args.size()));
        }
        std::string out;
        for (const auto& [k, vals] : m.entries) {
          for (const auto& v : vals.isList() ? vals.asList() : List{}) {
            out += (out.empty() ? "" : "&") + http::queryEscape(k) + "=" + http::queryEscape(printValue(v));
          }
        }
        return Value(out);
      }
      if (m.kind != MapData::Kind::Plain && (name == "Get" || name == "Values")) {
        if (args.size() != 1 || !args[0].isString()) {
          fail("wrong number of args for " + name + ": want 1 got " + std::to_string(args.size()));
        }
        auto it = m.entries.find(canonicalKey(m, args[0].asString()));
        if (name == "Values") {
          return it == m.entries.end() ? typed(makeList(), kNilStringSlice) : it->second;
        }
        if (it == m.entries.end() || !it->second.isList() || it->second.asList().empty()) {
          return Value("");
        }
        return it->second.asList()[0];
      }
      if (hasArgs) {
        fail(name + " is not a method but has arguments");
      }
      auto it = m.entries.find(name);
      if (it == m.entries.end()) {
        return {};  // Go's missing key: no value at all (printed "<no value>"), whatever the map
      }
      return element(it->second);
    }
    if (recv.isObject()) {
      auto keep = recv.objectPtr();
      std::optional<Value> v;
      try {
        v = recv.asObject().get(name, args);
      } catch (const HttpStatusError&) {
        throw;
      } catch (const TemplateError& e) {
        const std::string msg = e.what();
        fail(msg.starts_with("wrong number of args") ? msg : "error calling " + name + ": " + msg);
      }
      if (!v) {
        fail("can't evaluate field " + name + " in type " + recv.asObject().typeName());
      }
      return *v;
    }
    fail("can't evaluate field " + name + " in type " + kindName(recv));
  }

  // http.Header keys are canonical (Content-Type); url.Values keys are as given.
  static std::string canonicalKey(const MapData& m, const std::string& key) {
    if (m.kind != MapData::Kind::Header) {
      return key;
    }
    std::string k = key;
    bool upper = true;
    for (char& c : k) {
      c = upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      upper = c == '-';
    }
    return k;
  }

  Value callFunction(const std::string& name, const Command& cmd, const Value& dot, Value* final) {
    if (name == "and" || name == "or") {
      return shortCircuit(name == "and", cmd, dot, final);
    }
    auto it = funcs_.find(name);
    if (it == funcs_.end()) {
      fail("\"" + name + "\" is not a defined function");
    }
    Args args = evalArgs(cmd, dot, final);
    try {
      return it->second(args);
    } catch (const HttpStatusError&) {
      throw;
    } catch (const TemplateError& e) {
      const std::string msg = e.what();
      const Operand& ident = cmd.args[0];
      if (msg.starts_with("wrong number")) {
        at(ident.text, ident.line, ident.col);  // Go checks the count at the identifier
        fail(msg);
      }
      at(cmd.text, cmd.line, cmd.col);  // a failed call is placed at the whole command
      fail(msg.starts_with("error calling") ? msg : "error calling " + name + ": " + msg);
    }
  }

  Value shortCircuit(bool isAnd, const Command& cmd, const Value& dot, Value* final) {
    const size_t n = cmd.args.size() - 1 + (final != nullptr ? 1 : 0);
    if (n < 1) {
      fail(std::string("wrong number of args for ") + (isAnd ? "and" : "or") + ": want at least 1 got 0");
    }
    Value v;
    for (size_t i = 1; i <= n; ++i) {
      v = i < cmd.args.size() ? evalArg(cmd.args[i], dot) : *final;
      if (truth(v) != isAnd) {
        return v;
      }
    }
    return v;
  }

  const TemplateSet& set_;
  const FuncMap& funcs_;
  std::string name_;
  std::string parseName_;
  std::string& out_;
  int depth_;
  int line_ = 0;
  int col_ = 0;
  std::string at_;
  std::vector<std::pair<std::string, Value>> vars_;
};

}  // namespace

void executeTemplate(const TemplateSet& set, const FuncMap& funcs, const std::string& name, const Value& dot,
                     std::string& out) {
  auto it = set.trees.find(name);
  if (it == set.trees.end()) {
    throw TemplateError("template: no template \"" + name + "\" associated with template \"" + name + "\"");
  }
  Exec(set, funcs, name, name, out, 0).run(it->second, dot);
}

}  // namespace gatehouse::templates
