#include "router/cel/checker.h"

#include <map>
#include <string_view>
#include <utility>

#include "router/cel/functions.h"
#include "router/cel/lexer.h"
#include "router/cel/macros.h"

namespace gatehouse::router::cel {

namespace {

using Bindings = std::map<char, Type>;

bool assignable(const Type& param, const Type& arg, Bindings& env);

bool assignParam(char name, const Type& arg, Bindings& env) {
  auto it = env.find(name);
  if (it == env.end()) {
    env.emplace(name, arg);
    return true;
  }
  if (it->second.dynamic()) {
    return true;
  }
  if (arg.dynamic()) {
    return true;
  }
  Bindings scratch;
  return assignable(it->second, arg, scratch) || assignable(arg, it->second, scratch);
}

bool assignable(const Type& param, const Type& arg, Bindings& env) {
  if (param.k == TK::Param) {
    return assignParam(param.param, arg, env);
  }
  if (param.dynamic() || arg.dynamic()) {
    return true;
  }
  if (param.k != arg.k) {
    return false;
  }
  switch (param.k) {
    case TK::List:
      return assignable(*param.a, *arg.a, env);
    case TK::Map:
      return assignable(*param.a, *arg.a, env) && assignable(*param.b, *arg.b, env);
    default:
      return true;  // scalars; type values of any type compare with each other
  }
}

Type substitute(const Type& t, const Bindings& env) {
  switch (t.k) {
    case TK::Param: {
      auto it = env.find(t.param);
      return it == env.end() ? Type::of(TK::Dyn) : it->second;
    }
    case TK::List:
      return Type::list(substitute(*t.a, env));
    case TK::Map:
      return Type::map(substitute(*t.a, env), substitute(*t.b, env));
    case TK::Type:
      return t.a ? Type::typeOf(substitute(*t.a, env)) : t;
    default:
      return t;
  }
}

// cel-go's "found no matching overload" text: '(int, string)' or 'string.(int)'.
std::string argString(const Type& t) {
  return t.k == TK::Any ? "any" : typeString(t);
}

std::string signature(const std::vector<Type>& args, bool receiver) {
  std::string out;
  size_t first = 0;
  if (receiver) {
    out = argString(args[0]) + ".";
    first = 1;
  }
  out += "(";
  for (size_t n = first; n < args.size(); ++n) {
    out += (n > first ? ", " : "") + argString(args[n]);
  }
  return out + ")";
}

// The common type of list elements / map keys or values: the shared type, else dyn.
Type joinTypes(const std::vector<Type>& ts) {
  if (ts.empty()) {
    return Type::of(TK::Dyn);
  }
  for (const auto& t : ts) {
    if (!sameType(t, ts[0])) {
      return Type::of(TK::Dyn);
    }
  }
  return ts[0];
}

struct Scope {
  std::string_view name;
  Type type;
};

class Checker {
 public:
  Type visit(Node& n) {
    n.type = compute(n);
    return n.type;
  }

 private:
  Type compute(Node& n) {
    switch (n.kind) {
      case NodeKind::Literal:
        return literalType(n.literal);
      case NodeKind::Ident:
        return ident(n);
      case NodeKind::Select:
        return select(n);
      case NodeKind::List: {
        std::vector<Type> ts;
        for (auto& e : n.args) {
          ts.push_back(visit(*e));
        }
        return Type::list(joinTypes(ts));
      }
      case NodeKind::Map:
        return mapLiteral(n);
      case NodeKind::Comprehension:
        return comprehension(n);
      case NodeKind::Call:
        return call(n);
    }
    return Type::of(TK::Dyn);
  }

  static Type literalType(const Value& v) {
    switch (v.kind) {
      case Kind::Null:
        return Type::of(TK::Null);
      case Kind::Bool:
        return Type::of(TK::Bool);
      case Kind::Int:
        return Type::of(TK::Int);
      case Kind::Uint:
        return Type::of(TK::Uint);
      case Kind::Double:
        return Type::of(TK::Double);
      case Kind::Bytes:
        return Type::of(TK::Bytes);
      default:
        return Type::of(TK::String);
    }
  }

  Type ident(Node& n) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->name == n.name) {
        return it->type;
      }
    }
    if (n.name == kRequestVariable) {
      return Type::of(TK::Request);
    }
    static constexpr std::pair<std::string_view, TK> kTypeNames[] = {
        {"int", TK::Int},       {"uint", TK::Uint},   {"double", TK::Double},  {"bool", TK::Bool},
        {"string", TK::String}, {"bytes", TK::Bytes}, {"null_type", TK::Null}, {"type", TK::Type},
    };
    for (const auto& [name, k] : kTypeNames) {
      if (n.name == name) {
        n.kind = NodeKind::Literal;
        n.literal = Value::type(n.name);
        return Type::typeOf(Type::of(k));
      }
    }
    if (n.name == "list" || n.name == "map") {
      n.kind = NodeKind::Literal;
      n.literal = Value::type(n.name);
      return Type::typeOf(n.name == "list" ? Type::list(Type::of(TK::Dyn))
                                           : Type::map(Type::of(TK::Dyn), Type::of(TK::Dyn)));
    }
    if (n.name == "google") {
      throw CelError(n.offset, "qualified type names (google.protobuf.*) are not supported yet");
    }
    throw CelError(n.offset, "undeclared reference to '" + n.name + "' (in container '')");
  }

  Type select(Node& n) {
    Type operand = visit(*n.args[0]);
    Type result = Type::of(TK::Dyn);
    if (operand.k == TK::Map) {
      if (!operand.a->dynamic() && operand.a->k != TK::String) {
        throw CelError(n.offset, "type '" + typeString(operand) + "' does not support field selection");
      }
      result = *operand.b;
    } else if (!operand.dynamic()) {
      throw CelError(n.offset, "type '" + typeString(operand) + "' does not support field selection");
    }
    return n.testOnly ? Type::of(TK::Bool) : result;
  }

  Type mapLiteral(Node& n) {
    std::vector<Type> keys;
    std::vector<Type> values;
    for (size_t i = 0; i < n.args.size(); i += 2) {
      Type k = visit(*n.args[i]);
      if (!k.dynamic() && k.k != TK::String && k.k != TK::Int && k.k != TK::Uint && k.k != TK::Bool) {
        throw CelError(n.args[i]->offset, "unsupported map key type: " + typeString(k));
      }
      keys.push_back(k);
      values.push_back(visit(*n.args[i + 1]));
    }
    return Type::map(joinTypes(keys), joinTypes(values));
  }

  Type comprehension(Node& n) {
    Type range = visit(*n.args[0]);
    Type elem = Type::of(TK::Dyn);
    if (range.k == TK::List || range.k == TK::Map) {
      elem = *range.a;
    } else if (range.k == TK::Any || !range.dynamic()) {
      // A placeholder's google.protobuf.Any is no dyn here: cel-go refuses it as a range.
      throw CelError(n.args[0]->offset,
                     "expression of type '" + argString(range) +
                         "' cannot be range of a comprehension (must be list, map, or dynamic)");
    }
    scopes_.push_back({n.iterVar, elem});
    std::vector<Type> parts;
    for (size_t i = 1; i < n.args.size(); ++i) {
      parts.push_back(visit(*n.args[i]));
    }
    scopes_.pop_back();
    bool predicate = n.name != "map" || n.args.size() == 3;
    if (predicate) {
      Bindings env;
      if (!assignable(Type::of(TK::Bool), parts[0], env)) {
        throw CelError(n.args[1]->offset, "found no matching overload for '_&&_' applied to '(bool, " +
                                              typeString(parts[0]) + ")'");
      }
    }
    if (n.name == "map") {
      return Type::list(parts.back());
    }
    if (n.name == "filter") {
      return Type::list(elem);
    }
    return Type::of(TK::Bool);
  }

  static bool special(const Node& n) {
    return n.matcher || n.name == "_&&_" || n.name == "_||_" || n.name == "_?_:_" ||
           (n.name == kPlaceholderFunction && !n.receiver);
  }

  Type call(Node& n) {
    // The function's own errors come first: cel-go lists errors by position, and the
    // function's position (its '(') precedes its arguments'.
    if (!special(n) && !functionDeclared(n.name)) {
      throw CelError(n.offset, "undeclared reference to '" + n.name + "' (in container '')");
    }
    std::vector<Type> args;
    for (auto& a : n.args) {
      args.push_back(visit(*a));
    }
    if (n.matcher) {
      return Type::of(TK::Bool);
    }
    if (n.name == "_&&_" || n.name == "_||_") {
      return special(n, {Type::of(TK::Bool), Type::of(TK::Bool)}, Type::of(TK::Bool), args);
    }
    if (n.name == "_?_:_") {
      return special(n, {Type::of(TK::Bool), Type::p('A'), Type::p('A')}, Type::p('A'), args);
    }
    if (n.name == kPlaceholderFunction && !n.receiver) {
      return special(n, {Type::of(TK::Request), Type::of(TK::String)}, Type::of(TK::Any), args);
    }
    std::vector<const Overload*> candidates = overloadsFor(n.name, n.receiver, args.size());
    // cel-go 0.12 (Caddy 2.6.2) resolves no global matches() for a placeholder's Any value
    // (the receiver form works).
    if (n.name == "matches" && !n.receiver && args[0].k == TK::Any) {
      candidates.clear();
    }
    std::vector<Type> results;
    for (const Overload* o : candidates) {
      Bindings env;
      bool ok = true;
      for (size_t i = 0; i < args.size() && ok; ++i) {
        ok = assignable(o->params[i], args[i], env);
      }
      if (ok) {
        n.overloads.push_back(o);
        results.push_back(substitute(o->result, env));
      }
    }
    if (n.overloads.empty()) {
      throw CelError(n.offset, "found no matching overload for '" + n.name + "' applied to '" +
                                   signature(args, n.receiver) + "'");
    }
    return joinTypes(results);
  }

  static Type special(const Node& n, const std::vector<Type>& params, const Type& result,
                      const std::vector<Type>& args) {
    Bindings env;
    bool ok = params.size() == args.size();
    for (size_t i = 0; ok && i < args.size(); ++i) {
      ok = assignable(params[i], args[i], env);
    }
    if (!ok) {
      throw CelError(n.offset, "found no matching overload for '" + n.name + "' applied to '" +
                                   signature(args, false) + "'");
    }
    return substitute(result, env);
  }

  std::vector<Scope> scopes_;
};

}  // namespace

Type check(Node& root) {
  return Checker().visit(root);
}

}  // namespace gatehouse::router::cel
