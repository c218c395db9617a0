// CEL's operators: equality, ordering, arithmetic with overflow errors, indexing, `in`,
// size(). Messages follow cel-go's ("integer overflow", "division by zero", "no such key").
#include <cmath>
#include <limits>

#include "router/cel/functions.h"

namespace gatehouse::router::cel {

namespace {

using Args = std::span<const Value>;

Type T(TK k) {
  return Type::of(k);
}
const Type kA = Type::p('A');

Value eq(const Node&, Args a) {
  return Value::boolean(equals(a[0], a[1]));
}
Value ne(const Node&, Args a) {
  return Value::boolean(!equals(a[0], a[1]));
}
Value logicalNot(const Node&, Args a) {
  return Value::boolean(!a[0].b);
}

// -1, 0, 1 for two values of the same ordered kind.
int compare(const Value& x, const Value& y) {
  switch (x.kind) {
    case Kind::Bool:
      return static_cast<int>(x.b) - static_cast<int>(y.b);
    case Kind::Int:
    case Kind::Timestamp:
    case Kind::Duration:
      return x.i < y.i ? -1 : (x.i > y.i ? 1 : 0);
    case Kind::Uint:
      return x.u < y.u ? -1 : (x.u > y.u ? 1 : 0);
    case Kind::Double:
      return x.d < y.d ? -1 : (x.d > y.d ? 1 : 0);
    default:
      return x.s.compare(y.s) < 0 ? -1 : (x.s == y.s ? 0 : 1);
  }
}
bool nanInvolved(Args a) {
  return (a[0].kind == Kind::Double && std::isnan(a[0].d)) ||
         (a[1].kind == Kind::Double && std::isnan(a[1].d));
}
Value lt(const Node&, Args a) {
  return Value::boolean(!nanInvolved(a) && compare(a[0], a[1]) < 0);
}
Value le(const Node&, Args a) {
  return Value::boolean(!nanInvolved(a) && compare(a[0], a[1]) <= 0);
}
Value gt(const Node&, Args a) {
  return Value::boolean(!nanInvolved(a) && compare(a[0], a[1]) > 0);
}
Value ge(const Node&, Args a) {
  return Value::boolean(!nanInvolved(a) && compare(a[0], a[1]) >= 0);
}

Value intOverflow() {
  return Value::error("integer overflow");
}
Value uintOverflow() {
  return Value::error("unsigned integer overflow");
}

Value addInt(const Node&, Args a) {
  int64_t r = 0;
  return __builtin_add_overflow(a[0].i, a[1].i, &r) ? intOverflow() : Value::integer(r);
}
Value subInt(const Node&, Args a) {
  int64_t r = 0;
  return __builtin_sub_overflow(a[0].i, a[1].i, &r) ? intOverflow() : Value::integer(r);
}
Value mulInt(const Node&, Args a) {
  int64_t r = 0;
  return __builtin_mul_overflow(a[0].i, a[1].i, &r) ? intOverflow() : Value::integer(r);
}
Value divInt(const Node&, Args a) {
  if (a[1].i == 0) {
    return Value::error("division by zero");
  }
  if (a[1].i == -1 && a[0].i == std::numeric_limits<int64_t>::min()) {
    return intOverflow();
  }
  return Value::integer(a[0].i / a[1].i);
}
Value modInt(const Node&, Args a) {
  if (a[1].i == 0) {
    return Value::error("modulus by zero");
  }
  if (a[1].i == -1 && a[0].i == std::numeric_limits<int64_t>::min()) {
    return intOverflow();
  }
  return Value::integer(a[0].i % a[1].i);
}
Value negInt(const Node&, Args a) {
  return a[0].i == std::numeric_limits<int64_t>::min() ? intOverflow() : Value::integer(-a[0].i);
}
Value addUint(const Node&, Args a) {
  uint64_t r = 0;
  return __builtin_add_overflow(a[0].u, a[1].u, &r) ? uintOverflow() : Value::uinteger(r);
}
Value subUint(const Node&, Args a) {
  uint64_t r = 0;
  return __builtin_sub_overflow(a[0].u, a[1].u, &r) ? uintOverflow() : Value::uinteger(r);
}
Value mulUint(const Node&, Args a) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a[0].u, a[1].u, &r) ? uintOverflow() : Value::uinteger(r);
}
Value divUint(const Node&, Args a) {
  return a[1].u == 0 ? Value::error("division by zero") : Value::uinteger(a[0].u / a[1].u);
}
Value modUint(const Node&, Args a) {
  return a[1].u == 0 ? Value::error("modulus by zero") : Value::uinteger(a[0].u % a[1].u);
}
Value addDouble(const Node&, Args a) {
  return Value::dbl(a[0].d + a[1].d);
}
Value subDouble(const Node&, Args a) {
  return Value::dbl(a[0].d - a[1].d);
}
Value mulDouble(const Node&, Args a) {
  return Value::dbl(a[0].d * a[1].d);
}
Value divDouble(const Node&, Args a) {
  return Value::dbl(a[0].d / a[1].d);
}
Value negDouble(const Node&, Args a) {
  return Value::dbl(-a[0].d);
}
Value concatString(const Node&, Args a) {
  return Value::string(a[0].s + a[1].s);
}
Value concatBytes(const Node&, Args a) {
  return Value::bytes(a[0].s + a[1].s);
}
Value concatList(const Node&, Args a) {
  ValueList out(*a[0].list);
  out.insert(out.end(), a[1].list->begin(), a[1].list->end());
  return Value::ofList(std::move(out));
}

Value durationResult(int64_t nanos, bool overflow) {
  return overflow ? intOverflow() : Value::duration(nanos);
}
Value addTimeDuration(const Node&, Args a) {
  int64_t r = 0;
  bool o = __builtin_add_overflow(a[0].i, a[1].i, &r);
  return o ? intOverflow() : Value::timestamp(r);
}
Value addDurationTime(const Node&, Args a) {
  int64_t r = 0;
  bool o = __builtin_add_overflow(a[0].i, a[1].i, &r);
  return o ? intOverflow() : Value::timestamp(r);
}
Value addDurations(const Node&, Args a) {
  int64_t r = 0;
  bool o = __builtin_add_overflow(a[0].i, a[1].i, &r);
  return durationResult(r, o);
}
Value subDurations(const Node&, Args a) {
  int64_t r = 0;
  bool o = __builtin_sub_overflow(a[0].i, a[1].i, &r);
  return durationResult(r, o);
}
Value subTimes(const Node&, Args a) {
  int64_t r = 0;
  bool o = __builtin_sub_overflow(a[0].i, a[1].i, &r);
  return durationResult(r, o);
}
Value subTimeDuration(const Node&, Args a) {
  int64_t r = 0;
  bool o = __builtin_sub_overflow(a[0].i, a[1].i, &r);
  return o ? intOverflow() : Value::timestamp(r);
}

Value indexList(const Node&, Args a) {
  const auto& l = *a[0].list;
  if (a[1].i < 0 || static_cast<uint64_t>(a[1].i) >= l.size()) {
    return Value::error("index '" + std::to_string(a[1].i) + "' out of range in list size '" +
                        std::to_string(l.size()) + "'");
  }
  return l[static_cast<size_t>(a[1].i)];
}
Value indexMap(const Node&, Args a) {
  const Value* v = mapFind(*a[0].map, a[1]);
  if (v == nullptr) {
    return Value::error("no such key: " +
                        (a[1].kind == Kind::String ? a[1].s : std::string(typeName(a[1].kind))));
  }
  return *v;
}
Value inList(const Node&, Args a) {
  for (const auto& e : *a[1].list) {
    if (equals(a[0], e)) {
      return Value::boolean(true);
    }
  }
  return Value::boolean(false);
}
Value inMap(const Node&, Args a) {
  return Value::boolean(mapFind(*a[1].map, a[0]) != nullptr);
}

// size() counts code points of a string, as CEL does.
Value sizeOf(const Node&, Args a) {
  const Value& v = a[0];
  switch (v.kind) {
    case Kind::String: {
      int64_t n = 0;
      for (unsigned char c : v.s) {
        n += (c & 0xC0) != 0x80 ? 1 : 0;
      }
      return Value::integer(n);
    }
    case Kind::Bytes:
      return Value::integer(static_cast<int64_t>(v.s.size()));
    case Kind::List:
      return Value::integer(static_cast<int64_t>(v.list->size()));
    default:
      return Value::integer(static_cast<int64_t>(v.map->size()));
  }
}

void binaryFamily(std::vector<Overload>& out, std::string_view fn,
                  std::initializer_list<std::pair<TK, Impl>> impls, bool boolResult) {
  for (const auto& [k, impl] : impls) {
    out.push_back({fn, false, {T(k), T(k)}, boolResult ? T(TK::Bool) : T(k), impl});
  }
}

}  // namespace

void addOperatorOverloads(std::vector<Overload>& out) {
  const Type b = T(TK::Bool);
  out.push_back({"_==_", false, {kA, kA}, b, eq});
  out.push_back({"_!=_", false, {kA, kA}, b, ne});
  out.push_back({"!_", false, {b}, b, logicalNot});
  const TK ordered[] = {TK::Bool,   TK::Int,   TK::Uint,      TK::Double,
                        TK::String, TK::Bytes, TK::Timestamp, TK::Duration};
  for (TK k : ordered) {
    out.push_back({"_<_", false, {T(k), T(k)}, b, lt});
    out.push_back({"_<=_", false, {T(k), T(k)}, b, le});
    out.push_back({"_>_", false, {T(k), T(k)}, b, gt});
    out.push_back({"_>=_", false, {T(k), T(k)}, b, ge});
  }
  binaryFamily(out, "_+_",
               {{TK::Int, addInt},
                {TK::Uint, addUint},
                {TK::Double, addDouble},
                {TK::String, concatString},
                {TK::Bytes, concatBytes},
                {TK::Duration, addDurations}},
               false);
  out.push_back({"_+_", false, {Type::list(kA), Type::list(kA)}, Type::list(kA), concatList});
  out.push_back({"_+_", false, {T(TK::Timestamp), T(TK::Duration)}, T(TK::Timestamp), addTimeDuration});
  out.push_back({"_+_", false, {T(TK::Duration), T(TK::Timestamp)}, T(TK::Timestamp), addDurationTime});
  binaryFamily(
      out, "_-_",
      {{TK::Int, subInt}, {TK::Uint, subUint}, {TK::Double, subDouble}, {TK::Duration, subDurations}}, false);
  out.push_back({"_-_", false, {T(TK::Timestamp), T(TK::Timestamp)}, T(TK::Duration), subTimes});
  out.push_back({"_-_", false, {T(TK::Timestamp), T(TK::Duration)}, T(TK::Timestamp), subTimeDuration});
  binaryFamily(out, "_*_", {{TK::Int, mulInt}, {TK::Uint, mulUint}, {TK::Double, mulDouble}}, false);
  binaryFamily(out, "_/_", {{TK::Int, divInt}, {TK::Uint, divUint}, {TK::Double, divDouble}}, false);
  binaryFamily(out, "_%_", {{TK::Int, modInt}, {TK::Uint, modUint}}, false);
  out.push_back({"-_", false, {T(TK::Int)}, T(TK::Int), negInt});
  out.push_back({"-_", false, {T(TK::Double)}, T(TK::Double), negDouble});
  const Type k = Type::p('K');
  const Type v = Type::p('V');
  out.push_back({"_[_]", false, {Type::list(kA), T(TK::Int)}, kA, indexList});
  out.push_back({"_[_]", false, {Type::map(k, v), k}, v, indexMap});
  out.push_back({"@in", false, {kA, Type::list(kA)}, b, inList});
  out.push_back({"@in", false, {k, Type::map(k, v)}, b, inMap});
  for (bool receiver : {false, true}) {
    for (const Type& t : {T(TK::String), T(TK::Bytes), Type::list(kA), Type::map(k, v)}) {
      out.push_back({"size", receiver, {t}, T(TK::Int), sizeOf});
    }
  }
}

}  // namespace gatehouse::router::cel
