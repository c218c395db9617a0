#include "router/cel/value.h"

#include <cmath>

namespace gatehouse::router::cel {

std::string_view typeName(Kind k) {
  switch (k) {
    case Kind::Null:
      return "null_type";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Uint:
      return "uint";
    case Kind::Double:
      return "double";
    case Kind::String:
      return "string";
    case Kind::Bytes:
      return "bytes";
    case Kind::List:
      return "list";
    case Kind::Map:
      return "map";
    case Kind::Type:
      return "type";
    case Kind::Timestamp:
      return "google.protobuf.Timestamp";
    case Kind::Duration:
      return "google.protobuf.Duration";
    case Kind::Request:
      return "http.Request";
    case Kind::Error:
      return "error";
  }
  return "unknown";
}

Value typeOf(const Value& v) {
  if (v.isError()) {
    return v;
  }
  return Value::type(std::string(typeName(v.kind)));
}

namespace {

bool isNumber(Kind k) {
  return k == Kind::Int || k == Kind::Uint || k == Kind::Double;
}

// Numbers compare by value across types, as cel-go's heterogeneous equality does.
bool numbersEqual(const Value& a, const Value& b) {
  if (a.kind == b.kind) {
    switch (a.kind) {
      case Kind::Int:
        return a.i == b.i;
      case Kind::Uint:
        return a.u == b.u;
      default:
        return a.d == b.d;
    }
  }
  if (a.kind == Kind::Double || b.kind == Kind::Double) {
    const Value& dv = a.kind == Kind::Double ? a : b;
    const Value& o = a.kind == Kind::Double ? b : a;
    if (std::isnan(dv.d)) {
      return false;
    }
    return o.kind == Kind::Int ? static_cast<double>(o.i) == dv.d && std::trunc(dv.d) == dv.d
                               : static_cast<double>(o.u) == dv.d && std::trunc(dv.d) == dv.d;
  }
  const Value& iv = a.kind == Kind::Int ? a : b;
  const Value& uv = a.kind == Kind::Int ? b : a;
  return iv.i >= 0 && static_cast<uint64_t>(iv.i) == uv.u;
}

}  // namespace

bool equals(const Value& a, const Value& b) {
  if (isNumber(a.kind) && isNumber(b.kind)) {
    return numbersEqual(a, b);
  }
  if (a.kind != b.kind) {
    return false;
  }
  switch (a.kind) {
    case Kind::Null:
      return true;
    case Kind::Bool:
      return a.b == b.b;
    case Kind::String:
    case Kind::Bytes:
    case Kind::Type:
      return a.s == b.s;
    case Kind::Timestamp:
    case Kind::Duration:
      return a.i == b.i;
    case Kind::Request:
      return true;  // there is one request per evaluation
    case Kind::List: {
      if (a.list->size() != b.list->size()) {
        return false;
      }
      for (size_t n = 0; n < a.list->size(); ++n) {
        if (!equals((*a.list)[n], (*b.list)[n])) {
          return false;
        }
      }
      return true;
    }
    case Kind::Map: {
      if (a.map->size() != b.map->size()) {
        return false;
      }
      for (const auto& [k, v] : *a.map) {
        const Value* other = mapFind(*b.map, k);
        if (other == nullptr || !equals(v, *other)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

const Value* mapFind(const ValueMap& m, const Value& key) {
  for (const auto& [k, v] : m) {
    if (equals(k, key)) {
      return &v;
    }
  }
  return nullptr;
}

}  // namespace gatehouse::router::cel
