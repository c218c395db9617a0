#pragma once
// The parse tree of a Go text/template: text, actions and the control structures, with the
// pipelines and commands inside actions.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "templates/value.h"

namespace gatehouse::templates {

struct Pipeline;

// One operand of a command: `.`, `.A.B`, `$x.A`, a function name, a constant or `( pipeline )`
// with optional fields after it.
struct Operand {
  enum class Kind { Dot, Field, Variable, Function, Constant, Pipe } kind = Kind::Constant;
  std::string name;                 // variable ("$x") or function name
  std::vector<std::string> fields;  // field chain after the term
  Value constant;                   // Constant
  std::shared_ptr<Pipeline> pipe;   // Pipe
  std::string text;                 // Go's node String(), for messages ("<.Foo>", "\"/x\"")
  int line = 0;                     // where Go's node starts: the term, or its first field
  int col = 0;                      // after a term (`$x.A` is at `.A`, as Go's chain node)
};

struct Command {
  std::vector<Operand> args;
  int line = 0;  // the command's first token
  int col = 0;
  std::string text;  // Go's CommandNode.String(): the operands joined by spaces
};

struct Pipeline {
  int line = 0;
  int col = 0;
  std::string text;               // Go's PipeNode.String(): "$x := " and the commands joined by " | "
  std::vector<std::string> decl;  // declared or assigned variables
  bool assign = false;            // `=` rather than `:=`
  std::vector<Command> cmds;
};

struct Node;
using NodeList = std::vector<std::unique_ptr<Node>>;

struct Node {
  enum class Kind { Text, Action, If, Range, With, Template, Break, Continue } kind = Kind::Text;
  int line = 0;
  int col = 0;                     // Template: its name's column (Go's TemplateNode position)
  std::string text;                // Text; template name for Template
  std::shared_ptr<Pipeline> pipe;  // Action, If, Range, With, Template (may be null)
  NodeList list;                   // body
  NodeList elseList;               // else branch
};

// A parsed template and the `define`d ones it carries: name -> body.
struct TemplateSet {
  std::map<std::string, std::shared_ptr<NodeList>> trees;
};

}  // namespace gatehouse::templates
