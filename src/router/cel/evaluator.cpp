#include "router/cel/evaluator.h"

#include <algorithm>
#include <new>
#include <span>

#include "router/cel/caddy_functions.h"
#include "router/cel/functions.h"
#include "router/cel/macros.h"

namespace gatehouse::router::cel {

namespace {

Value noSuchOverload() {
  return Value::error("no such overload");
}

// A call's evaluated arguments: up to four live on the stack and only those evaluated are
// constructed (a Value is a string and two shared pointers; building four per call was a
// tenth of an expression's cost), more go to the heap.
class ArgBuffer {
 public:
  static constexpr size_t kInline = 4;
  explicit ArgBuffer(size_t count) : inline_(count <= kInline) {
    if (!inline_) {
      heap_.reserve(count);
    }
  }
  ~ArgBuffer() {
    for (size_t i = 0; i < built_; ++i) {
      slot(i)->~Value();
    }
  }
  ArgBuffer(const ArgBuffer&) = delete;
  ArgBuffer& operator=(const ArgBuffer&) = delete;

  Value& push(Value v) {
    if (!inline_) {
      heap_.push_back(std::move(v));
      return heap_.back();
    }
    Value* at = new (slot(built_)) Value(std::move(v));
    ++built_;
    return *at;
  }
  std::span<const Value> view() const {
    return inline_ ? std::span<const Value>(slot(0), built_) : std::span<const Value>(heap_);
  }

 private:
  Value* slot(size_t i) { return std::launder(reinterpret_cast<Value*>(storage_)) + i; }
  const Value* slot(size_t i) const { return std::launder(reinterpret_cast<const Value*>(storage_)) + i; }

  alignas(Value) unsigned char storage_[kInline * sizeof(Value)];
  size_t built_ = 0;
  bool inline_;
  std::vector<Value> heap_;
};

}  // namespace

Value Evaluator::eval(const Node& n) {
  switch (n.kind) {
    case NodeKind::Literal:
      return n.literal;
    case NodeKind::Ident:
      return ident(n);
    case NodeKind::Select:
      return select(n);
    case NodeKind::Call:
      return call(n);
    case NodeKind::List: {
      ValueList items;
      items.reserve(n.args.size());
      for (const auto& e : n.args) {
        Value v = eval(*e);
        if (v.isError()) {
          return v;
        }
        items.push_back(std::move(v));
      }
      return Value::ofList(std::move(items));
    }
    case NodeKind::Map: {
      ValueMap entries;
      for (size_t i = 0; i < n.args.size(); i += 2) {
        Value k = eval(*n.args[i]);
        if (k.isError()) {
          return k;
        }
        Value v = eval(*n.args[i + 1]);
        if (v.isError()) {
          return v;
        }
        // cel-go 0.12 (Caddy 2.6.2) lets a repeated key's last value win.
        auto same =
            std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return equals(e.first, k); });
        if (same != entries.end()) {
          same->second = std::move(v);
          continue;
        }
        entries.emplace_back(std::move(k), std::move(v));
      }
      return Value::ofMap(std::move(entries));
    }
    case NodeKind::Comprehension:
      return comprehension(n);
  }
  return noSuchOverload();
}

Value Evaluator::ident(const Node& n) {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == n.name) {
      return *it->second;
    }
  }
  Value req;
  req.kind = Kind::Request;
  return req;  // the checker admits no other identifier
}

// CEL's commutative logic: false && x is false and true || x is true even when x is an
// error; otherwise an error (or a non-bool) wins.
Value Evaluator::logical(const Node& n, bool isAnd) {
  Value lhs = eval(*n.args[0]);
  if (lhs.kind == Kind::Bool && lhs.b != isAnd) {
    return lhs;
  }
  Value rhs = eval(*n.args[1]);
  if (rhs.kind == Kind::Bool && rhs.b != isAnd) {
    return rhs;
  }
  if (lhs.kind == Kind::Bool && rhs.kind == Kind::Bool) {
    return lhs;
  }
  if (lhs.isError()) {
    return lhs;
  }
  return rhs.isError() ? rhs : noSuchOverload();
}

Value Evaluator::conditional(const Node& n) {
  Value cond = eval(*n.args[0]);
  if (cond.isError()) {
    return cond;
  }
  if (cond.kind != Kind::Bool) {
    return noSuchOverload();
  }
  return eval(*n.args[cond.b ? 1 : 2]);
}

Value Evaluator::select(const Node& n) {
  Value operand = eval(*n.args[0]);
  if (operand.isError()) {
    return operand;
  }
  if (operand.kind != Kind::Map) {
    return Value::error("type '" + std::string(typeName(operand.kind)) +
                        "' does not support field selection");
  }
  const Value* v = mapFind(*operand.map, Value::string(n.name));
  if (n.testOnly) {
    return Value::boolean(v != nullptr);
  }
  return v != nullptr ? *v : Value::error("no such key: " + n.name);
}

Value Evaluator::comprehension(const Node& n) {
  Value range = eval(*n.args[0]);
  if (range.isError()) {
    return range;
  }
  if (range.kind != Kind::List && range.kind != Kind::Map) {
    return noSuchOverload();
  }
  ValueList keys;
  if (range.kind == Kind::Map) {
    for (const auto& [k, v] : *range.map) {
      keys.push_back(k);
    }
  }
  const ValueList& items = range.kind == Kind::List ? *range.list : keys;
  const bool all = n.name == "all";
  const bool exists = n.name == "exists";
  const bool collect = n.name == "map" || n.name == "filter";
  ValueList out;
  Value firstError;
  int64_t matches = 0;
  for (const Value& item : items) {
    vars_.emplace_back(n.iterVar, &item);
    Value step = eval(*n.args[1]);
    Value mapped;
    bool take = step.kind == Kind::Bool && step.b;
    if (n.name == "map") {
      take = n.args.size() == 2 || take;
      if (take && !step.isError()) {
        mapped = n.args.size() == 3 ? eval(*n.args[2]) : step;
      }
    }
    vars_.pop_back();
    if (step.isError() || (n.name != "map" && step.kind != Kind::Bool)) {
      if (collect || n.name == "exists_one") {
        return step.isError() ? step : noSuchOverload();
      }
      if (!firstError.isError()) {
        firstError = step.isError() ? step : noSuchOverload();
      }
      continue;
    }
    if (all && !step.b) {
      return Value::boolean(false);
    }
    if (exists && step.b) {
      return Value::boolean(true);
    }
    if (n.name == "exists_one") {
      matches += step.b ? 1 : 0;
    } else if (n.name == "filter" && take) {
      out.push_back(item);
    } else if (n.name == "map" && take) {
      if (mapped.isError()) {
        return mapped;
      }
      out.push_back(std::move(mapped));
    }
  }
  if (collect) {
    return Value::ofList(std::move(out));
  }
  if (n.name == "exists_one") {
    return Value::boolean(matches == 1);
  }
  if (firstError.isError()) {
    return firstError;
  }
  return Value::boolean(all);
}

Value Evaluator::call(const Node& n) {
  if (n.name == "_&&_" || n.name == "_||_") {
    return logical(n, n.name == "_&&_");
  }
  if (n.name == "_?_:_") {
    return conditional(n);
  }
  ArgBuffer args(n.args.size());
  for (const auto& a : n.args) {
    Value& v = args.push(eval(*a));
    if (v.isError()) {
      return v;
    }
  }
  std::span<const Value> view = args.view();
  if (n.matcher) {
    return ex_ != nullptr ? evalMatcherCall(n, view, *ex_) : Value::error("matcher outside a request");
  }
  if (n.name == kPlaceholderFunction) {
    return ex_ != nullptr ? placeholderValue(n, view[1], *ex_)
                          : Value::error("placeholder outside a request");
  }
  for (const Overload* o : n.overloads) {
    bool fits = true;
    for (size_t i = 0; i < view.size() && fits; ++i) {
      fits = valueFits(o->params[i], view[i]);
    }
    if (fits) {
      return o->impl(n, view);
    }
  }
  return noSuchOverload();
}

}  // namespace gatehouse::router::cel
