// Go text/template's predefined functions (and/or short-circuit in the executor).

#include <cstdio>

#include "gatehouse/html_escape.h"
#include "http/uri.h"
#include "templates/executor.h"
#include "templates/format.h"

namespace gatehouse::templates {

namespace {

// Go's basicKind groups for comparisons.
enum class Basic { Bool, Int, Float, String, Invalid };
Basic basic(const Value& v) {
  if (v.isBool()) {
    return Basic::Bool;
  }
  if (v.isInt()) {
    return Basic::Int;
  }
  if (v.isFloat()) {
    return Basic::Float;
  }
  if (v.isString()) {
    return Basic::String;
  }
  return Basic::Invalid;
}

// Go's reflect kind of a value outside the basic kinds ("invalid" for nil).
std::string compareKind(const Value& v) {
  if (v.isList()) {
    return "slice";
  }
  if (v.isMap()) {
    return "map";
  }
  if (v.isObject()) {
    return v.asObject().kind();
  }
  return v.isCallable() ? "func" : "invalid";
}

// Go's isNil: untyped nil, or a nil pointer.
bool nilValue(const Value& v) {
  return v.isNil() || isNilComposite(v) || (v.isObject() && v.asObject().nil());
}

bool goComparable(const Value& v) {
  return v.isObject() ? v.asObject().comparable() : !(v.isList() || v.isMap() || v.isCallable());
}

// Go 1.19's eq for one pair: untyped nil is unequal to any other value (never an error);
// values of two basic kinds cannot be compared; slices, maps and functions only to nil.
bool equal(const Value& a, const Value& b, const char* fn) {
  const Basic ka = basic(a);
  const Basic kb = basic(b);
  const std::string call = std::string("error calling ") + fn + ": ";
  if (ka != kb) {
    if (a.isNil() || b.isNil()) {
      return false;
    }
    throw TemplateError(call + "incompatible types for comparison");
  }
  switch (ka) {
    case Basic::Bool:
      return a.asBool() == b.asBool();
    case Basic::Int:
      return a.asInt() == b.asInt();
    case Basic::Float:
      return a.asFloat() == b.asFloat();
    case Basic::String:
      return a.asString() == b.asString();
    case Basic::Invalid:
      break;
  }
  if (!a.isNil() && !b.isNil() && compareKind(a) != compareKind(b)) {
    throw TemplateError(call + goSprintf("non-comparable types %s: %v, %s: %v",
                                         {a, Value(kindName(a)), Value(kindName(b)), b}));
  }
  if (nilValue(a) || nilValue(b)) {
    return nilValue(a) == nilValue(b);
  }
  if (!goComparable(b)) {  // Go names the right-hand operand
    throw TemplateError(call + goSprintf("non-comparable type %s: %v", {b, Value(kindName(b))}));
  }
  if (kindName(a) != kindName(b)) {
    return false;
  }
  return a.isObject() && a.asObject().equals(b.asObject());
}

bool less(const Value& a, const Value& b, const char* fn) {
  const Basic ka = basic(a);
  const Basic kb = basic(b);
  // Go: a non-basic operand first, then differing kinds, then kinds without an order (bool)
  if (ka == Basic::Invalid || kb == Basic::Invalid) {
    throw TemplateError(std::string("error calling ") + fn + ": invalid type for comparison");
  }
  if (ka != kb) {
    throw TemplateError(std::string("error calling ") + fn + ": incompatible types for comparison");
  }
  if (ka == Basic::Bool) {
    throw TemplateError(std::string("error calling ") + fn + ": invalid type for comparison");
  }
  switch (ka) {
    case Basic::Int:
      return a.asInt() < b.asInt();
    case Basic::Float:
      return a.asFloat() < b.asFloat();
    default:
      return a.asString() < b.asString();
  }
}

int64_t indexArg(const Value& v, size_t cap) {
  if (!v.isInt()) {
    throw TemplateError("cannot index slice/array with type " + kindName(v));
  }
  const int64_t i = v.asInt();
  if (i < 0 || static_cast<uint64_t>(i) > cap) {
    throw TemplateError("index out of range: " + std::to_string(i));
  }
  return i;
}

Value index(Args& a) {
  if (a.empty()) {
    throw TemplateError("wrong number of args for index: want at least 1 got 0");
  }
  Value item = a[0];
  for (size_t k = 1; k < a.size(); ++k) {
    if (item.isList()) {
      const int64_t i = indexArg(a[k], item.asList().size());
      if (static_cast<size_t>(i) >= item.asList().size()) {  // Go's check lets i == len through to reflect
        throw TemplateError("error calling index: reflect: slice index out of range");
      }
      item = Value(item.asList()[static_cast<size_t>(i)]);
    } else if (item.isString()) {
      const int64_t i = indexArg(a[k], item.asString().size());
      if (static_cast<size_t>(i) >= item.asString().size()) {
        throw TemplateError("error calling index: reflect: string index out of range");
      }
      item = typed(
          Value(static_cast<int64_t>(static_cast<unsigned char>(item.asString()[static_cast<size_t>(i)]))),
          "uint8");  // a byte
    } else if (item.isMap()) {
      if (!a[k].isString()) {
        throw TemplateError("error calling index: value has type " + kindName(a[k]) + "; should be string");
      }
      const auto& m = item.asMap();
      auto it = m.entries.find(a[k].asString());
      // a missing key gives the element type's zero value: nil, or a nil []string in http.Header/url.Values
      item = it == m.entries.end()
                 ? (m.kind == MapData::Kind::Plain ? Value() : typed(makeList(), kNilStringSlice))
                 : it->second;
    } else if (item.isNil()) {
      throw TemplateError("error calling index: index of untyped nil");
    } else {
      throw TemplateError("error calling index: can't index item of type " + kindName(item));
    }
  }
  return item;
}

Value slice(Args& a) {
  if (a.empty()) {
    throw TemplateError("wrong number of args for slice: want at least 1 got 0");
  }
  const Value& item = a[0];
  if (a.size() > 4) {
    throw TemplateError("error calling slice: too many slice indexes: " + std::to_string(a.size() - 1));
  }
  size_t len = 0;
  if (item.isString()) {
    len = item.asString().size();
    if (a.size() == 4) {
      throw TemplateError("error calling slice: cannot 3-index slice a string");
    }
  } else if (item.isList()) {
    len = item.asList().size();
  } else {
    throw TemplateError("error calling slice: can't slice item of type " + kindName(item));
  }
  int64_t idx[3] = {0, static_cast<int64_t>(len), static_cast<int64_t>(len)};
  for (size_t k = 1; k < a.size(); ++k) {
    idx[k - 1] = indexArg(a[k], len);
  }
  if (idx[0] > idx[1]) {
    throw TemplateError("error calling slice: invalid slice index: " + std::to_string(idx[0]) + " > " +
                        std::to_string(idx[1]));
  }
  if (item.isString()) {
    return Value(item.asString().substr(static_cast<size_t>(idx[0]), static_cast<size_t>(idx[1] - idx[0])));
  }
  const auto& l = item.asList();
  return typed(makeList(List(l.begin() + idx[0], l.begin() + idx[1])), item.goType);
}

// text/template's HTMLEscapeString: Go's html escaping, and NUL as U+FFFD.
std::string templateHtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\0')
      out += "\xEF\xBF\xBD";
    else if (const char* entity = goHtmlEntity(c))
      out += entity;
    else
      out += c;
  }
  return out;
}

std::string jsEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
        break;
      default:
        if (c < ' ') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// html/js/urlquery take the Sprint of their arguments (a single string as is).
std::string evalArgsString(const Args& a) {
  if (a.size() == 1 && a[0].isString()) {
    return a[0].asString();
  }
  Args printable = a;
  for (auto& v : printable) {
    if (v.isNil()) {
      v = Value("<no value>");  // Go's printableValue of a nil argument
    }
  }
  return goSprint(printable);
}

}  // namespace

void addGoBuiltins(FuncMap& f) {
  f["and"] = [](Args& a) { return a.empty() ? Value() : a.back(); };  // evaluated by the executor
  f["or"] = f["and"];
  f["not"] = [](Args& a) {
    wantArgs(a, 1, "not");
    return Value(!truth(a[0]));
  };
  f["len"] = [](Args& a) {
    wantArgs(a, 1, "len");
    const Value& v = a[0];
    if (v.isString()) {
      return Value(static_cast<int64_t>(v.asString().size()));
    }
    if (v.isList()) {
      return Value(static_cast<int64_t>(v.asList().size()));
    }
    if (v.isMap()) {
      return Value(static_cast<int64_t>(v.asMap().entries.size()));
    }
    throw TemplateError("error calling len: len of type " + kindName(v));
  };
  f["index"] = index;
  f["slice"] = slice;
  f["print"] = [](Args& a) { return Value(goSprint(a)); };
  f["println"] = [](Args& a) { return Value(goSprintln(a)); };
  f["printf"] = [](Args& a) {
    if (a.empty()) {
      throw TemplateError("wrong number of args for printf: want at least 1 got 0");
    }
    const std::string format = wantString(a[0], "printf");
    return Value(goSprintf(format, Args(a.begin() + 1, a.end())));
  };
  f["eq"] = [](Args& a) {
    if (a.size() < 2) {
      throw TemplateError("error calling eq: missing argument for comparison");
    }
    for (size_t k = 1; k < a.size(); ++k) {
      if (equal(a[0], a[k], "eq")) {
        return Value(true);
      }
    }
    return Value(false);
  };
  f["ne"] = [](Args& a) {
    wantArgs(a, 2, "ne");
    return Value(!equal(a[0], a[1], "ne"));
  };
  f["lt"] = [](Args& a) {
    wantArgs(a, 2, "lt");
    return Value(less(a[0], a[1], "lt"));
  };
  f["le"] = [](Args& a) {
    wantArgs(a, 2, "le");
    return Value(less(a[0], a[1], "le") || equal(a[0], a[1], "le"));
  };
  f["gt"] = [](Args& a) {
    wantArgs(a, 2, "gt");
    return Value(!less(a[0], a[1], "gt") && !equal(a[0], a[1], "gt"));
  };
  f["ge"] = [](Args& a) {
    wantArgs(a, 2, "ge");
    return Value(!less(a[0], a[1], "ge"));
  };
  f["html"] = [](Args& a) { return Value(templateHtmlEscape(evalArgsString(a))); };
  f["js"] = [](Args& a) { return Value(jsEscape(evalArgsString(a))); };
  f["urlquery"] = [](Args& a) { return Value(http::queryEscape(evalArgsString(a))); };
  f["call"] = [](Args& a) {
    if (a.empty()) {
      throw TemplateError("wrong number of args for call: want at least 1 got 0");
    }
    if (a[0].isNil()) {
      throw TemplateError("error calling call: call of nil");
    }
    if (!a[0].isCallable()) {
      throw TemplateError("error calling call: non-function of type " + kindName(a[0]));
    }
    Args rest(a.begin() + 1, a.end());
    return a[0].asCallable().fn(rest);
  };
}

}  // namespace gatehouse::templates
