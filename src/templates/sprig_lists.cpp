// Sprig's list functions and their must* twins. In Sprig each plain function panics where its
// must* twin returns an error; text/template reports both as "error calling NAME: ...", so
// one implementation serves both names.

#include <algorithm>
#include <cmath>

#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

// What Go prints when reflect.TypeOf(nil).Kind() is called on a nil interface.
constexpr const char* kNilDeref = "runtime error: invalid memory address or nil pointer dereference";

// The list argument, or Sprig's error ("Cannot find first on type int").
const List& listArg(const Value& v, const std::string& what) {
  if (v.isNil()) {
    throw TemplateError(kNilDeref);
  }
  if (!v.isList()) {
    throw TemplateError(what + " on type " + reflectKind(v));
  }
  return v.asList();
}

Value first(Args& a) {
  wantArgs(a, 1, "first");
  const auto& l = listArg(a[0], "Cannot find first");
  return l.empty() ? Value() : l.front();
}

Value last(Args& a) {
  wantArgs(a, 1, "last");
  const auto& l = listArg(a[0], "Cannot find last");
  return l.empty() ? Value() : l.back();
}

// rest/initial return a []interface{}: an empty list prints "[]", not "<no value>".
Value rest(Args& a) {
  wantArgs(a, 1, "rest");
  const auto& l = listArg(a[0], "Cannot find rest");
  return l.empty() ? makeList() : makeList(List(l.begin() + 1, l.end()));
}

Value initial(Args& a) {
  wantArgs(a, 1, "initial");
  const auto& l = listArg(a[0], "Cannot find initial");
  return l.empty() ? makeList() : makeList(List(l.begin(), l.end() - 1));
}

Value push(Args& a) {
  wantArgs(a, 2, "push");
  List l = listArg(a[0], "Cannot push");
  l.push_back(a[1]);
  return makeList(std::move(l));
}

Value prepend(Args& a) {
  wantArgs(a, 2, "prepend");
  List l = listArg(a[0], "Cannot prepend");
  l.insert(l.begin(), a[1]);
  return makeList(std::move(l));
}

Value reverse(Args& a) {
  wantArgs(a, 1, "reverse");
  List l = listArg(a[0], "Cannot find reverse");
  std::reverse(l.begin(), l.end());
  return makeList(std::move(l));
}

Value uniq(Args& a) {
  wantArgs(a, 1, "uniq");
  List out;
  for (const auto& v : listArg(a[0], "Cannot find uniq")) {
    if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return deepEqual(o, v); })) {
      out.push_back(v);
    }
  }
  return makeList(std::move(out));
}

Value without(Args& a) {
  if (a.empty()) {
    throw TemplateError("wrong number of args for without: want at least 1 got 0");
  }
  List out;
  for (const auto& v : listArg(a[0], "Cannot find without")) {
    if (std::none_of(a.begin() + 1, a.end(), [&](const Value& o) { return deepEqual(o, v); })) {
      out.push_back(v);
    }
  }
  return makeList(std::move(out));
}

Value has(Args& a) {
  wantArgs(a, 2, "has");
  if (a[1].isNil()) {
    return Value(false);
  }
  const auto& l = listArg(a[1], "Cannot find has");
  return Value(std::any_of(l.begin(), l.end(), [&](const Value& o) { return deepEqual(o, a[0]); }));
}

Value compact(Args& a) {
  wantArgs(a, 1, "compact");
  List out;
  for (const auto& v : listArg(a[0], "Cannot compact")) {
    if (truth(v)) {
      out.push_back(v);
    }
  }
  return makeList(std::move(out));
}

// Sprig's slice (it replaces Go's builtin): cast indices, an empty list gives nil, and
// out-of-range indices fail as reflect.Value.Slice does.
Value slice(Args& a) {
  if (a.empty()) {
    throw TemplateError("wrong number of args for slice: want at least 1 got 0");
  }
  if (a[0].isNil()) {
    throw TemplateError(kNilDeref);
  }
  if (!a[0].isList()) {
    throw TemplateError("list should be type of slice or array but " + reflectKind(a[0]));
  }
  const auto& l = a[0].asList();
  if (l.empty()) {
    return Value();
  }
  const auto len = static_cast<int64_t>(l.size());
  const int64_t start = a.size() > 1 ? toInt64(a[1]) : 0;
  const int64_t end = a.size() > 2 ? toInt64(a[2]) : len;
  if (start < 0 || end < start || end > len) {
    throw TemplateError("reflect.Value.Slice: slice index out of bounds");
  }
  return typed(makeList(List(l.begin() + start, l.begin() + end)), a[0].goType);  // (keeps the slice type)
}

// Sprig computes the chunk count in float64; sizes it cannot use fail as Go's makeslice does.
Value chunk(Args& a) {
  wantArgs(a, 2, "chunk");
  const int64_t size = wantInt(a[0], "chunk");
  if (a[1].isNil()) {
    throw TemplateError(kNilDeref);
  }
  if (!a[1].isList()) {
    throw TemplateError("Cannot chunk type " + reflectKind(a[1]));
  }
  const auto& l = a[1].asList();
  const auto len = static_cast<int64_t>(l.size());
  const double count = std::floor(static_cast<double>(len - 1) / static_cast<double>(size)) + 1;
  if (!std::isfinite(count) || count < 0 || count > static_cast<double>(len) + 1) {
    throw TemplateError("runtime error: makeslice: len out of range");
  }
  const auto chunks = static_cast<int64_t>(count);
  List out;
  for (int64_t i = 0; i < chunks; ++i) {
    int64_t clen = size;
    if (i == chunks - 1) {
      clen = static_cast<int64_t>(std::fmod(static_cast<double>(len), static_cast<double>(size)));
      clen = clen == 0 ? size : clen;
    }
    if (clen < 0) {
      throw TemplateError("runtime error: makeslice: len out of range");
    }
    List part;
    for (int64_t j = 0; j < clen; ++j) {
      const int64_t ix = i * size + j;
      if (ix >= len) {
        throw TemplateError("reflect: slice index out of range");
      }
      part.push_back(l[static_cast<size_t>(ix)]);
    }
    out.push_back(makeList(std::move(part)));
  }
  return typed(makeList(std::move(out)), "[][]interface {}");
}

}  // namespace

std::string reflectKind(const Value& v) {
  if (v.isNil()) {
    return "invalid";
  }
  if (v.isList()) {
    return "slice";
  }
  if (v.isMap()) {
    return "map";
  }
  if (v.isObject()) {
    return v.asObject().kind();
  }
  if (v.isCallable()) {
    return "func";
  }
  return kindName(v);
}

// A shared implementation registered under another name: its arity errors name the name
// the template called (mustFirst, append).
Function calledAs(const std::string& name, Function fn) {
  return [name, fn = std::move(fn)](Args& a) {
    try {
      return fn(a);
    } catch (const TemplateError& e) {
      const std::string msg = e.what();
      const std::string prefix = "wrong number of args for ";
      const size_t colon = msg.find(':');
      if (!msg.starts_with(prefix) || colon == std::string::npos) {
        throw;
      }
      throw TemplateError(prefix + name + msg.substr(colon));
    }
  };
}

void addSprigLists(FuncMap& f) {
  const std::pair<const char*, Function> fns[] = {
      {"first", first}, {"last", last},       {"rest", rest},       {"initial", initial},
      {"push", push},   {"append", push},     {"prepend", prepend}, {"reverse", reverse},
      {"uniq", uniq},   {"without", without}, {"has", has},         {"compact", compact},
      {"slice", slice}, {"chunk", chunk},
  };
  for (const auto& [name, fn] : fns) {
    std::string must = std::string("must") + name;
    must[4] = static_cast<char>(std::toupper(static_cast<unsigned char>(must[4])));
    f[name] = calledAs(name, fn);
    f[must] = calledAs(must, fn);
  }
}

}  // namespace gatehouse::templates
