#pragma once
// The function overloads the checker resolves calls against and the evaluator dispatches
// to: CEL's standard definitions (langdef.md "Standard Definitions") that Caddy 2.6.2's
// environment declares.

#include <span>
#include <string_view>
#include <vector>

#include "router/cel/ast.h"
#include "router/cel/types.h"
#include "router/cel/value.h"

namespace gatehouse::router::cel {

// `call` gives access to compile-time results (a precompiled regular expression).
using Impl = Value (*)(const Node& call, std::span<const Value> args);

struct Overload {
  std::string_view function;
  bool receiver = false;  // x.f(...): args[0] is the receiver
  std::vector<Type> params;
  Type result;
  Impl impl = nullptr;
};

// Every overload named `function` in the given call style with `argc` arguments
// (receiver included).
std::vector<const Overload*> overloadsFor(std::string_view function, bool receiver, size_t argc);
// True when some overload of `function` exists in any style or arity.
bool functionDeclared(std::string_view function);
// Whether `v`'s run-time type fits the overload's parameter `t`.
bool valueFits(const Type& t, const Value& v);

// Tables, one per family (std_functions.cpp, string_functions.cpp).
void addOperatorOverloads(std::vector<Overload>& out);
void addConversionOverloads(std::vector<Overload>& out);
void addStringOverloads(std::vector<Overload>& out);
void addTimeOverloads(std::vector<Overload>& out);  // time_functions.cpp

}  // namespace gatehouse::router::cel
