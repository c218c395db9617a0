#pragma once
// The values a Go text/template works on, as reflect.Value does for Go: nil, bool, int
// (int64), float (float64), string, list (a slice), map (string keys, kept sorted as Go
// prints and ranges them) and objects (Go structs with fields and methods: the request,
// a time, Caddy's context). Lists and maps are shared, as Go's slices and maps are.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gatehouse::templates {

// An execution error ("template: NAME:LINE:COL: executing ..." is added by the executor).
struct TemplateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Value;
using List = std::vector<Value>;
using Args = std::vector<Value>;

struct MapData;
class Object;
struct Callable;

struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<List>,
               std::shared_ptr<MapData>, std::shared_ptr<Object>, std::shared_ptr<Callable>>
      v;

  Value() = default;
  Value(bool b) : v(b) {}                                  // NOLINT(google-explicit-constructor)
  Value(int i) : v(int64_t{i}) {}                          // NOLINT(google-explicit-constructor)
  Value(int64_t i) : v(i) {}                               // NOLINT(google-explicit-constructor)
  Value(uint64_t i) : v(static_cast<int64_t>(i)) {}        // NOLINT(google-explicit-constructor)
  Value(double d) : v(d) {}                                // NOLINT(google-explicit-constructor)
  Value(std::string s) : v(std::move(s)) {}                // NOLINT(google-explicit-constructor)
  Value(const char* s) : v(std::string(s)) {}              // NOLINT(google-explicit-constructor)
  Value(std::string_view s) : v(std::string(s)) {}         // NOLINT(google-explicit-constructor)
  Value(std::shared_ptr<List> l) : v(std::move(l)) {}      // NOLINT(google-explicit-constructor)
  Value(std::shared_ptr<MapData> m) : v(std::move(m)) {}   // NOLINT(google-explicit-constructor)
  Value(std::shared_ptr<Object> o) : v(std::move(o)) {}    // NOLINT(google-explicit-constructor)
  Value(std::shared_ptr<Callable> c) : v(std::move(c)) {}  // NOLINT(google-explicit-constructor)

  // Go's static type where it is not its kind's default (int, float64, string, []interface {},
  // map[string]interface {}): "int64" from Sprig's math, "uint8" from indexing a string,
  // "[]string" from splitList, "map[string]string" from split ... (a string literal). %T,
  // typeOf, kindOf and Go's messages ("EXTRA int64=", "in type []string") name it.
  const char* goType = nullptr;

  [[nodiscard]] bool isNil() const { return v.index() == 0; }
  [[nodiscard]] bool isBool() const { return v.index() == 1; }
  [[nodiscard]] bool isInt() const { return v.index() == 2; }
  [[nodiscard]] bool isFloat() const { return v.index() == 3; }
  [[nodiscard]] bool isString() const { return v.index() == 4; }
  [[nodiscard]] bool isList() const { return v.index() == 5; }
  [[nodiscard]] bool isMap() const { return v.index() == 6; }
  [[nodiscard]] bool isObject() const { return v.index() == 7; }
  [[nodiscard]] bool isCallable() const { return v.index() == 8; }

  [[nodiscard]] bool asBool() const { return std::get<1>(v); }
  [[nodiscard]] int64_t asInt() const { return std::get<2>(v); }
  [[nodiscard]] double asFloat() const { return std::get<3>(v); }
  [[nodiscard]] const std::string& asString() const { return std::get<4>(v); }
  [[nodiscard]] List& asList() const { return *std::get<5>(v); }
  [[nodiscard]] MapData& asMap() const { return *std::get<6>(v); }
  [[nodiscard]] Object& asObject() const { return *std::get<7>(v); }
  [[nodiscard]] const std::shared_ptr<Object>& objectPtr() const { return std::get<7>(v); }
  [[nodiscard]] Callable& asCallable() const { return *std::get<8>(v); }
};

// A Go map with string keys. `kind` names special Go map types whose methods templates
// call: http.Header (Get, Values) and url.Values (Get).
struct MapData {
  std::map<std::string, Value> entries;
  enum class Kind { Plain, Header, UrlValues } kind = Kind::Plain;
};

// encoding/json's view of an object: a value written in its place (a MarshalJSON string,
// null for a nil pointer), or the struct's exported fields in declaration order.
struct JsonForm {
  std::optional<Value> value;
  std::vector<std::pair<std::string, Value>> fields;
};

// A Go struct value: fields and methods by name. get() returns nullopt when the name is
// neither (the executor reports "can't evaluate field"); a field given arguments throws.
class Object {
 public:
  virtual ~Object() = default;
  [[nodiscard]] virtual std::string typeName() const = 0;
  virtual std::optional<Value> get(std::string_view name, const Args& args) = 0;
  // fmt's %v of the value.
  [[nodiscard]] virtual std::string print() const { return "{" + typeName() + "}"; }
  // A typed nil pointer (Go's (*T)(nil)): false in conditions, prints "<nil>".
  [[nodiscard]] virtual bool nil() const { return false; }
  // Go's reflect kind: "ptr" for a pointer type (*T), else "struct".
  [[nodiscard]] virtual std::string kind() const { return typeName().starts_with("*") ? "ptr" : "struct"; }
  // Whether Go's == is defined on the type (a struct holding a map is not).
  [[nodiscard]] virtual bool comparable() const { return true; }
  // Go's == between two values of the same type: a pointer is equal to itself only, so
  // objects standing for one Go pointer (the request, its URL) name what they stand for.
  [[nodiscard]] virtual const void* identity() const { return this; }
  [[nodiscard]] virtual bool equals(const Object& other) const { return identity() == other.identity(); }
  // Whether the Go type has a String method (fmt's %s %q %x %X then format its text).
  [[nodiscard]] virtual bool stringer() const { return false; }
  // What json.Marshal writes; throws TemplateError("json: unsupported type: T") for a type
  // it cannot encode (a struct holding a func).
  [[nodiscard]] virtual JsonForm json() const { return {Value(print()), {}}; }
};

// A function value (for `call`, and sprig's returned closures).
struct Callable {
  std::function<Value(Args&)> fn;
};

Value makeList(List items = {});
// `v` with Go's static type `goType` (a string literal, see Value::goType).
Value typed(Value v, const char* goType);
// A goType starting "nil " marks a Go nil slice or map (a function's "no result", a map
// Go never made): empty, printed [] or map[], but JSON null and equal to nil. kindName drops
// the prefix.
inline constexpr const char* kNilStringSlice = "nil []string";
// The goType of a nil held in an interface (a map's or slice's element, as range and field
// lookups give it): Go fails a field of it ("nil pointer evaluating interface {}.X") where a
// missing value gives nothing. A pipeline's result drops the mark, as Go's does.
inline constexpr const char* kInterfaceNil = "interface {}";
bool isNilComposite(const Value& v);
Value makeMap(MapData::Kind kind = MapData::Kind::Plain);
// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
bool truth(const Value& v);
// The Go kind name used in messages ("int", "string", "[]interface {}" ...).
std::string kindName(const Value& v);
// fmt.Sprint of one value (%v); top-level nil prints "<no value>" as text/template does.
std::string printValue(const Value& v);
void appendValue(std::string& out, const Value& v, bool topLevel = false);
// Go's strconv.FormatFloat(f, 'g', -1, 64) as fmt's %v prints floats.
std::string formatFloatG(double f);
// Text/template's arity check for a function's arguments ("wrong number of args for fn: want
// n got m").
void wantArgs(const Args& a, size_t n, const char* fn);
// Checked conversions for function arguments (TemplateError on a wrong kind).
const std::string& wantString(const Value& v, std::string_view fn);
int64_t wantInt(const Value& v, std::string_view fn);
// Sprig's lenient conversions (cast.ToInt64 / ToFloat64 / ToString).
int64_t toInt64(const Value& v);
double toFloat64(const Value& v);
std::string toStringLoose(const Value& v);

}  // namespace gatehouse::templates

namespace gatehouse::templates {
// Caddy's httpError: the template asks for an HTTP error status; passed through unwrapped.
struct HttpStatusError : TemplateError {
  HttpStatusError(int s, const std::string& msg) : TemplateError(msg), status(s) {}
  int status;
};
}  // namespace gatehouse::templates
