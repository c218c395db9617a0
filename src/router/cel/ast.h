#pragma once
// The parsed expression. Operators are calls named as cel-go names them ("_+_", "_&&_",
// "@in", "_?_:_", "_[_]", "!_", "-_"); macros are expanded by the parser (has() into a
// test-only select, all/exists/exists_one/map/filter into a Comprehension node, Caddy's
// matcher functions into a Matcher call). The checker annotates every node with its type
// and the overloads a call may dispatch to; the compiler attaches precompiled matchers,
// regular expressions and placeholder conversions.

#include <memory>
#include <string>
#include <vector>

#include "router/cel/types.h"
#include "router/cel/value.h"

namespace re2 {
class RE2;
}
namespace gatehouse::runtime {
class Matcher;
}

namespace gatehouse::router::cel {

struct Overload;
struct MatcherCall;

enum class NodeKind : uint8_t { Literal, Ident, Select, Call, List, Map, Comprehension };

// Placeholder values with a type other than string, as Caddy's replacer returns them.
enum class PlaceholderType : uint8_t { String, Int, Bool, Timestamp, Duration };

struct Node {
  NodeKind kind = NodeKind::Literal;
  size_t offset = 0;      // in the expanded expression
  Value literal;          // Literal
  std::string name;       // Ident name, Select field, Call function, Comprehension macro
  bool testOnly = false;  // Select made by has()
  bool receiver = false;  // Call written `args[0].name(args[1..])`
  bool matcher = false;   // Call of one of Caddy's matcher functions
  // Select: {operand}. Call: arguments (receiver first). List: elements. Map: key, value,
  // key, value... Comprehension: {range, step[, filter]} with `iterVar` bound in step.
  std::vector<std::unique_ptr<Node>> args;
  std::string iterVar;

  // Checker results.
  Type type;
  std::vector<const Overload*> overloads;

  // Compiler results.
  std::shared_ptr<const MatcherCall> matcherCall;  // matcher calls
  std::shared_ptr<const re2::RE2> regex;           // matches() with a constant pattern
  PlaceholderType placeholder = PlaceholderType::String;
};

using NodePtr = std::unique_ptr<Node>;

}  // namespace gatehouse::router::cel
