#include "router/cel/functions.h"

namespace gatehouse::router::cel {

namespace {

const std::vector<Overload>& table() {
  static const std::vector<Overload> all = [] {
    std::vector<Overload> out;
    addOperatorOverloads(out);
    addConversionOverloads(out);
    addStringOverloads(out);
    addTimeOverloads(out);
    return out;
  }();
  return all;
}

}  // namespace

std::vector<const Overload*> overloadsFor(std::string_view function, bool receiver, size_t argc) {
  std::vector<const Overload*> out;
  for (const auto& o : table()) {
    if (o.function == function && o.receiver == receiver && o.params.size() == argc) {
      out.push_back(&o);
    }
  }
  return out;
}

bool functionDeclared(std::string_view function) {
  for (const auto& o : table()) {
    if (o.function == function) {
      return true;
    }
  }
  return false;
}

bool valueFits(const Type& t, const Value& v) {
  switch (t.k) {
    case TK::Dyn:
    case TK::Any:
    case TK::Param:
      return true;
    case TK::Null:
      return v.kind == Kind::Null;
    case TK::Bool:
      return v.kind == Kind::Bool;
    case TK::Int:
      return v.kind == Kind::Int;
    case TK::Uint:
      return v.kind == Kind::Uint;
    case TK::Double:
      return v.kind == Kind::Double;
    case TK::String:
      return v.kind == Kind::String;
    case TK::Bytes:
      return v.kind == Kind::Bytes;
    case TK::List:
      return v.kind == Kind::List;
    case TK::Map:
      return v.kind == Kind::Map;
    case TK::Type:
      return v.kind == Kind::Type;
    case TK::Timestamp:
      return v.kind == Kind::Timestamp;
    case TK::Duration:
      return v.kind == Kind::Duration;
    case TK::Request:
      return v.kind == Kind::Request;
  }
  return false;
}

}  // namespace gatehouse::router::cel
