#pragma once
// A CEL value at run time (github.com/google/cel-spec langdef.md "Values"). Scalars live
// inline; strings use std::string's small-buffer storage; lists and maps are shared and
// immutable, so copying a value never deep-copies a container.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::router::cel {

enum class Kind : uint8_t {
  Null,
  Bool,
  Int,
  Uint,
  Double,
  String,
  Bytes,
  List,
  Map,
  Type,       // a type value (`type(x)`, `int`); its name in `s`
  Timestamp,  // nanoseconds since the Unix epoch in `i`
  Duration,   // nanoseconds in `i`
  Request,    // the `request` variable
  Error,      // an evaluation error; its message in `s`
};

struct Value;
using ValueList = std::vector<Value>;
using ValueMap = std::vector<std::pair<Value, Value>>;  // insertion order, keys unique

struct Value {
  Kind kind = Kind::Null;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;
  std::shared_ptr<const ValueList> list;
  std::shared_ptr<const ValueMap> map;

  static Value null() { return {}; }
  static Value boolean(bool v) {
    Value x;
    x.kind = Kind::Bool;
    x.b = v;
    return x;
  }
  static Value integer(int64_t v) {
    Value x;
    x.kind = Kind::Int;
    x.i = v;
    return x;
  }
  static Value uinteger(uint64_t v) {
    Value x;
    x.kind = Kind::Uint;
    x.u = v;
    return x;
  }
  static Value dbl(double v) {
    Value x;
    x.kind = Kind::Double;
    x.d = v;
    return x;
  }
  static Value string(std::string v) { return text(Kind::String, std::move(v)); }
  static Value bytes(std::string v) { return text(Kind::Bytes, std::move(v)); }
  static Value type(std::string name) { return text(Kind::Type, std::move(name)); }
  static Value error(std::string message) { return text(Kind::Error, std::move(message)); }
  static Value timestamp(int64_t nanos) {
    Value x;
    x.kind = Kind::Timestamp;
    x.i = nanos;
    return x;
  }
  static Value duration(int64_t nanos) {
    Value x;
    x.kind = Kind::Duration;
    x.i = nanos;
    return x;
  }
  static Value ofList(ValueList items) {
    Value x;
    x.kind = Kind::List;
    x.list = std::make_shared<const ValueList>(std::move(items));
    return x;
  }
  static Value ofMap(ValueMap entries) {
    Value x;
    x.kind = Kind::Map;
    x.map = std::make_shared<const ValueMap>(std::move(entries));
    return x;
  }
  [[nodiscard]] bool isError() const { return kind == Kind::Error; }

 private:
  static Value text(Kind k, std::string v) {
    Value x;
    x.kind = k;
    x.s = std::move(v);
    return x;
  }
};

// The CEL type name of a value's kind ("int", "null_type", "google.protobuf.Timestamp").
std::string_view typeName(Kind k);
// The type of a value as `type(v)` returns it.
Value typeOf(const Value& v);

// CEL equality (heterogeneous: values of different types are unequal, except numbers, which
// compare by value across int, uint and double). An error operand is the caller's concern.
bool equals(const Value& a, const Value& b);
// Map lookup with CEL key equality; null when absent.
const Value* mapFind(const ValueMap& m, const Value& key);

}  // namespace gatehouse::router::cel
