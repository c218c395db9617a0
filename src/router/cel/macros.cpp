#include "router/cel/macros.h"

#include <string_view>

#include "router/cel/lexer.h"

namespace gatehouse::router::cel {

namespace {

bool isStringLiteral(const Node& n) {
  return n.kind == NodeKind::Literal && n.literal.kind == Kind::String;
}

bool isPlaceholderCall(const Node& n) {
  return n.kind == NodeKind::Call && !n.receiver && n.name == kPlaceholderFunction;
}

// Caddy's isCELStringExpr: a string literal, a placeholder, or a `+` of those.
bool isStringExpr(const Node& n) {
  if (isStringLiteral(n) || isPlaceholderCall(n)) {
    return true;
  }
  if (n.kind == NodeKind::Call && n.name == "_+_") {
    return isStringExpr(*n.args[0]) && isStringExpr(*n.args[1]);
  }
  return false;
}

bool isStringListLiteral(const Node& n) {
  if (n.kind != NodeKind::List) {
    return false;
  }
  for (const auto& e : n.args) {
    if (!isStringExpr(*e)) {
      return false;
    }
  }
  return true;
}

enum class Shape { StringList, String, Json, File };

struct MatcherMacro {
  std::string_view name;
  Shape shape;
  size_t minArgs;
  size_t maxArgs;  // 0: no limit
};

constexpr MatcherMacro kMatchers[] = {
    {"host", Shape::StringList, 0, 0},
    {"path", Shape::StringList, 0, 0},
    {"method", Shape::StringList, 0, 0},
    {"remote_ip", Shape::StringList, 0, 0},
    {"path_regexp", Shape::StringList, 1, 2},
    {"header_regexp", Shape::StringList, 2, 3},
    {"protocol", Shape::String, 1, 1},
    {"header", Shape::Json, 1, 1},
    {"query", Shape::Json, 1, 1},
    {"file", Shape::File, 0, 0},
};

[[noreturn]] void undeclared(const std::string& name, size_t offset) {
  throw CelError(offset, "undeclared reference to '" + name + "' (in container '')");
}

void checkJson(const Node& arg, bool fileKeys) {
  if (arg.kind != NodeKind::Map) {
    throw CelError(arg.offset, fileKeys ? "matcher requires either a map or string literal argument"
                                        : "matcher requires a map literal argument");
  }
  for (size_t n = 0; n < arg.args.size(); n += 2) {
    if (!isStringExpr(*arg.args[n])) {
      throw CelError(arg.args[n]->offset, "matcher map keys must be string literals");
    }
    if (!isStringExpr(*arg.args[n + 1]) && !isStringListLiteral(*arg.args[n + 1])) {
      throw CelError(arg.args[n + 1]->offset, "matcher map values must be string or list literals");
    }
  }
}

NodePtr expandMatcher(const MatcherMacro& m, size_t offset, std::vector<NodePtr> args) {
  if (m.minArgs > 0 && (args.size() < m.minArgs || (m.maxArgs > 0 && args.size() > m.maxArgs))) {
    undeclared(std::string(m.name), offset);
  }
  switch (m.shape) {
    case Shape::StringList:
      if (args.empty()) {
        throw CelError(offset, "matcher requires at least one argument");
      }
      for (const auto& a : args) {
        if (!isStringExpr(*a)) {
          throw CelError(a->offset, "matcher arguments must be string constants");
        }
      }
      break;
    case Shape::String:
      if (!isStringExpr(*args[0])) {
        throw CelError(args[0]->offset, "matcher argument must be a string literal");
      }
      break;
    case Shape::Json:
      checkJson(*args[0], false);
      break;
    case Shape::File:
      if (args.empty()) {
        throw CelError(offset, "matcher requires at least one argument");
      }
      if (args.size() == 1 && args[0]->kind == NodeKind::Map) {
        checkJson(*args[0], true);
        break;
      }
      for (const auto& a : args) {
        if (!isStringLiteral(*a) && !isPlaceholderCall(*a)) {
          throw CelError(a->offset, args.size() == 1
                                        ? "matcher requires either a map or string literal argument"
                                        : "matcher only supports repeated string literal arguments");
        }
      }
      break;
  }
  NodePtr call = makeCallNode(std::string(m.name), offset, std::move(args));
  call->matcher = true;
  return call;
}

NodePtr expandHas(size_t offset, std::vector<NodePtr> args) {
  if (args.size() != 1 || args[0]->kind != NodeKind::Select) {
    throw CelError(offset, "invalid argument to has() macro");
  }
  NodePtr sel = std::move(args[0]);
  sel->testOnly = true;
  return sel;
}

}  // namespace

NodePtr expandGlobal(std::string name, size_t offset, std::vector<NodePtr> args) {
  if (name == "has") {
    return expandHas(offset, std::move(args));
  }
  for (const auto& m : kMatchers) {
    if (m.name == name) {
      return expandMatcher(m, offset, std::move(args));
    }
  }
  return makeCallNode(std::move(name), offset, std::move(args));
}

NodePtr expandReceiver(std::string name, size_t offset, NodePtr target, std::vector<NodePtr> args) {
  bool twoArg =
      name == "all" || name == "exists" || name == "exists_one" || name == "filter" || name == "map";
  bool threeArg = name == "map";
  if ((twoArg && args.size() == 2) || (threeArg && args.size() == 3)) {
    if (args[0]->kind != NodeKind::Ident) {
      throw CelError(args[0]->offset, "argument must be a simple name");
    }
    auto n = makeCallNode(name, offset, {});
    n->kind = NodeKind::Comprehension;
    n->iterVar = args[0]->name;
    n->args.push_back(std::move(target));
    for (size_t i = 1; i < args.size(); ++i) {
      n->args.push_back(std::move(args[i]));
    }
    return n;
  }
  args.insert(args.begin(), std::move(target));
  NodePtr call = makeCallNode(std::move(name), offset, std::move(args));
  call->receiver = true;
  return call;
}

}  // namespace gatehouse::router::cel
