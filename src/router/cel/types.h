#pragma once
// Static CEL types for the checker (langdef.md "Type checking"). `Dyn` accepts anything;
// `Any` is what Caddy's placeholder function returns (google.protobuf.Any) and checks as
// dyn. `Param` is a type parameter of an overload signature (A, K, V).

#include <memory>
#include <string>

namespace gatehouse::router::cel {

enum class TK : uint8_t {
  Dyn,
  Any,
  Null,
  Bool,
  Int,
  Uint,
  Double,
  String,
  Bytes,
  List,
  Map,
  Type,
  Timestamp,
  Duration,
  Request,
  Param,
};

struct Type {
  TK k = TK::Dyn;
  std::shared_ptr<const Type> a;  // list element / map key / type's type
  std::shared_ptr<const Type> b;  // map value
  char param = 0;                 // TK::Param: 'A', 'K' or 'V'

  static Type of(TK k) {
    Type t;
    t.k = k;
    return t;
  }
  static Type list(Type elem) {
    Type t;
    t.k = TK::List;
    t.a = std::make_shared<const Type>(std::move(elem));
    return t;
  }
  static Type map(Type key, Type value) {
    Type t;
    t.k = TK::Map;
    t.a = std::make_shared<const Type>(std::move(key));
    t.b = std::make_shared<const Type>(std::move(value));
    return t;
  }
  static Type typeOf(Type of) {
    Type t;
    t.k = TK::Type;
    t.a = std::make_shared<const Type>(std::move(of));
    return t;
  }
  static Type p(char name) {
    Type t;
    t.k = TK::Param;
    t.param = name;
    return t;
  }
  [[nodiscard]] bool dynamic() const { return k == TK::Dyn || k == TK::Any; }
};

// As cel-go prints types in its messages: "int", "list(string)", "map(string, dyn)".
std::string typeString(const Type& t);
// Structural equality (Dyn equals only Dyn).
bool sameType(const Type& x, const Type& y);

}  // namespace gatehouse::router::cel
