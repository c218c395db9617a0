#include "router/cel/types.h"

namespace gatehouse::router::cel {

std::string typeString(const Type& t) {
  switch (t.k) {
    case TK::Dyn:
      return "dyn";
    case TK::Any:
      return "google.protobuf.Any";
    case TK::Null:
      return "null_type";
    case TK::Bool:
      return "bool";
    case TK::Int:
      return "int";
    case TK::Uint:
      return "uint";
    case TK::Double:
      return "double";
    case TK::String:
      return "string";
    case TK::Bytes:
      return "bytes";
    case TK::List:
      return "list(" + typeString(*t.a) + ")";
    case TK::Map:
      return "map(" + typeString(*t.a) + ", " + typeString(*t.b) + ")";
    case TK::Type:
      return t.a ? "type(" + typeString(*t.a) + ")" : "type";
    case TK::Timestamp:
      return "google.protobuf.Timestamp";
    case TK::Duration:
      return "google.protobuf.Duration";
    case TK::Request:
      return "http.Request";
    case TK::Param:
      return std::string(1, t.param);
  }
  return "?";
}

bool sameType(const Type& x, const Type& y) {
  if (x.k != y.k) {
    return false;
  }
  switch (x.k) {
    case TK::List:
      return sameType(*x.a, *y.a);
    case TK::Map:
      return sameType(*x.a, *y.a) && sameType(*x.b, *y.b);
    case TK::Param:
      return x.param == y.param;
    default:
      return true;
  }
}

}  // namespace gatehouse::router::cel
