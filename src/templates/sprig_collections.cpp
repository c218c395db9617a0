// Sprig's lists, dicts, defaults and conversions.

#include <algorithm>
#include <cstdio>

#include "templates/go_parse_int.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

MapData& wantMap(const Value& v, const char* fn) {
  if (!v.isMap()) {
    throw TemplateError(std::string(fn) + ": wrong type for value; expected map[string]interface {}; got " +
                        kindName(v));
  }
  return v.asMap();
}

}  // namespace

// Deep equality (reflect.DeepEqual over template values).
bool deepEqual(const Value& a, const Value& b) {
  if (a.v.index() != b.v.index() || kindName(a) != kindName(b)) {  // ([]string is not []interface {})
    return false;
  }
  if (a.isList()) {
    const auto& x = a.asList();
    const auto& y = b.asList();
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), deepEqual);
  }
  if (a.isMap()) {
    const auto& x = a.asMap().entries;
    const auto& y = b.asMap().entries;
    return x.size() == y.size() &&
           std::equal(x.begin(), x.end(), y.begin(), [](const auto& p, const auto& q) {
             return p.first == q.first && deepEqual(p.second, q.second);
           });
  }
  if (a.isObject()) {
    return a.objectPtr() == b.objectPtr();
  }
  if (a.isCallable()) {
    return false;
  }
  return a.v == b.v;
}

namespace {

bool emptyValue(const Value& v) {
  return !truth(v);
}

// copystructure.Copy: fresh lists and maps all the way down; scalars and objects as they are.
Value copyDeep(const Value& v) {
  if (v.isList()) {
    List out;
    for (const auto& item : v.asList()) {
      out.push_back(copyDeep(item));
    }
    return typed(makeList(std::move(out)), v.goType);
  }
  if (v.isMap()) {
    Value out = makeMap(v.asMap().kind);
    for (const auto& [k, item] : v.asMap().entries) {
      out.asMap().entries[k] = copyDeep(item);
    }
    return typed(out, v.goType);
  }
  return v;
}

// mergo's Merge of `src` into the map `dst` (Sprig's merge; mergeOverwrite with `overwrite`):
// a nil source value is skipped (set when overwriting), maps meeting maps merge deeply in
// place, a filled destination slice or map stays, anything else fills an empty (zero)
// destination value or, overwriting, replaces it.
void mergeMaps(const Value& dst, const MapData& src, bool overwrite) {
  auto& entries = dst.asMap().entries;
  for (const auto& [k, sv] : src.entries) {
    if (sv.isNil()) {
      if (overwrite) {
        entries[k] = sv;
      }
      continue;
    }
    auto it = entries.find(k);
    const bool have = it != entries.end();
    if (sv.isMap() && have && it->second.isMap()) {
      mergeMaps(it->second, sv.asMap(), overwrite);
    }
    if (have && !emptyValue(it->second) && (sv.isMap() || sv.isList())) {
      continue;
    }
    if ((overwrite && !(sv.isObject() && sv.asObject().kind() == "ptr")) || !have || emptyValue(it->second)) {
      if (dst.goType != nullptr && !sv.isString()) {  // map[string]string from split
        throw TemplateError(
            "reflect.Value.SetMapIndex: value of type interface {} is not assignable to type string");
      }
      entries[k] = sv;
    }
  }
}

}  // namespace

void addSprigCollections(FuncMap& f) {
  f["list"] = [](Args& a) { return makeList(a); };
  f["tuple"] = f["list"];
  f["concat"] = [](Args& a) {
    List l;
    for (const auto& v : a) {
      if (!v.isList()) {
        throw TemplateError("Cannot concat type " + reflectKind(v) + " as list");
      }
      const auto& part = v.asList();
      l.insert(l.end(), part.begin(), part.end());
    }
    return makeList(std::move(l));
  };
  f["sortAlpha"] = [](Args& a) {
    wantArgs(a, 1, "sortAlpha");
    const auto byText = [](const Value& x, const Value& y) { return x.asString() < y.asString(); };
    if (a[0].isList() && a[0].goType != nullptr && std::string_view(a[0].goType) == "[]string") {
      std::sort(a[0].asList().begin(), a[0].asList().end(), byText);  // Go sorts a []string in place
      return a[0];
    }
    List out;
    if (a[0].isList()) {
      for (const auto& v : a[0].asList()) {
        if (!v.isNil()) {  // Sprig's strslice drops nil elements
          out.emplace_back(strval(v));
        }
      }
    } else {
      out.emplace_back(strval(a[0]));
    }
    std::sort(out.begin(), out.end(), byText);
    return typed(makeList(std::move(out)), "[]string");
  };
  f["until"] = [](Args& a) {
    wantArgs(a, 1, "until");
    const int64_t n = toInt64(a[0]);
    if (n > 1000000 || n < -1000000) {
      throw TemplateError("until: count out of range");
    }
    List out;
    for (int64_t i = 0; i < (n < 0 ? -n : n); ++i) {
      out.emplace_back(n < 0 ? -i : i);
    }
    return typed(makeList(std::move(out)), "[]int");
  };
  f["untilStep"] = [](Args& a) {
    wantArgs(a, 3, "untilStep");
    const int64_t start = toInt64(a[0]);
    const int64_t stop = toInt64(a[1]);
    const int64_t step = toInt64(a[2]);
    List out;
    if (step == 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop)) {
      return typed(makeList(), "[]int");
    }
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (out.size() > 1000000) {
        throw TemplateError("untilStep: too many items");
      }
      out.emplace_back(i);
    }
    return typed(makeList(std::move(out)), "[]int");
  };
  f["dict"] = [](Args& a) {
    Value m = makeMap();
    for (size_t i = 0; i < a.size(); i += 2) {
      m.asMap().entries[strval(a[i])] = i + 1 < a.size() ? a[i + 1] : Value("");
    }
    return m;
  };
  f["get"] = [](Args& a) {
    wantArgs(a, 2, "get");
    const auto& m = wantMap(a[0], "get").entries;
    auto it = m.find(strval(a[1]));
    return it == m.end() ? Value("") : it->second;
  };
  f["set"] = [](Args& a) {
    wantArgs(a, 3, "set");
    wantMap(a[0], "set").entries[strval(a[1])] = a[2];
    return a[0];
  };
  f["unset"] = [](Args& a) {
    wantArgs(a, 2, "unset");
    wantMap(a[0], "unset").entries.erase(strval(a[1]));
    return a[0];
  };
  f["hasKey"] = [](Args& a) {
    wantArgs(a, 2, "hasKey");
    return Value(wantMap(a[0], "hasKey").entries.contains(strval(a[1])));
  };
  f["keys"] = [](Args& a) {
    List out;
    for (const auto& m : a) {
      for (const auto& [k, v] : wantMap(m, "keys").entries) {
        out.emplace_back(k);
      }
    }
    return typed(makeList(std::move(out)), "[]string");
  };
  f["values"] = [](Args& a) {
    wantArgs(a, 1, "values");
    List out;
    for (const auto& [k, v] : wantMap(a[0], "values").entries) {
      out.push_back(v);
    }
    return makeList(std::move(out));
  };
  f["pluck"] = [](Args& a) {
    if (a.empty()) {
      throw TemplateError("wrong number of args for pluck: want at least 1 got 0");
    }
    List out;
    const std::string key = strval(a[0]);
    for (size_t i = 1; i < a.size(); ++i) {
      const auto& m = wantMap(a[i], "pluck").entries;
      if (auto it = m.find(key); it != m.end()) {
        out.push_back(it->second);
      }
    }
    return makeList(std::move(out));
  };
  auto pickOmit = [](Args& a, bool pick) {
    if (a.empty()) {
      throw TemplateError("wrong number of args: want at least 1 got 0");
    }
    Value out = makeMap();
    for (const auto& [k, v] : wantMap(a[0], pick ? "pick" : "omit").entries) {
      const bool listed = std::any_of(a.begin() + 1, a.end(), [&](const Value& n) { return strval(n) == k; });
      if (listed == pick) {
        out.asMap().entries[k] = v;
      }
    }
    return out;
  };
  f["pick"] = [pickOmit](Args& a) { return pickOmit(a, true); };
  f["omit"] = [pickOmit](Args& a) { return pickOmit(a, false); };
  auto merge = [](Args& a, bool overwrite) {
    if (a.empty()) {
      throw TemplateError("wrong number of args for merge: want at least 1 got 0");
    }
    wantMap(a[0], "merge");
    for (size_t i = 1; i < a.size(); ++i) {
      mergeMaps(a[0], wantMap(a[i], "merge"), overwrite);
    }
    return a[0];
  };
  f["merge"] = [merge](Args& a) { return merge(a, false); };
  f["mergeOverwrite"] = [merge](Args& a) { return merge(a, true); };
  f["mustMerge"] = f["merge"];
  f["mustMergeOverwrite"] = f["mergeOverwrite"];
  f["deepCopy"] = [](Args& a) {
    wantArgs(a, 1, "deepCopy");
    return copyDeep(a[0]);
  };
  f["mustDeepCopy"] = f["deepCopy"];
  f["dig"] = [](Args& a) {
    // Sprig asserts the types (a panic text when they are not a dict and string keys)
    auto asDict = [](const Value& v) -> const MapData& {
      if (!v.isMap() || v.goType != nullptr || v.asMap().kind != MapData::Kind::Plain) {
        throw TemplateError("interface conversion: interface {} is " +
                            (v.isNil() ? std::string("nil") : kindName(v)) + ", not map[string]interface {}");
      }
      return v.asMap();
    };
    if (a.size() < 3) {
      throw TemplateError("dig needs at least three arguments");
    }
    const MapData* dict = &asDict(a.back());
    const Value& def = a[a.size() - 2];
    for (size_t i = 0; i + 2 < a.size(); ++i) {
      if (!a[i].isString()) {
        throw TemplateError("interface conversion: interface {} is " +
                            (a[i].isNil() ? std::string("nil") : kindName(a[i])) + ", not string");
      }
    }
    for (size_t i = 0; i + 2 < a.size(); ++i) {
      auto it = dict->entries.find(a[i].asString());
      if (it == dict->entries.end()) {
        return def;
      }
      if (i + 3 == a.size()) {
        return it->second;
      }
      dict = &asDict(it->second);
    }
    return def;
  };
  f["default"] = [](Args& a) {
    if (a.empty()) {
      throw TemplateError("wrong number of args for default: want at least 1 got 0");
    }
    if (a.size() < 2 || emptyValue(a[1])) {
      return a[0];
    }
    return a[1];
  };
  f["empty"] = [](Args& a) {
    wantArgs(a, 1, "empty");
    return Value(emptyValue(a[0]));
  };
  f["coalesce"] = [](Args& a) {
    for (const auto& v : a) {
      if (!emptyValue(v)) {
        return v;
      }
    }
    return Value();
  };
  f["all"] = [](Args& a) { return Value(std::none_of(a.begin(), a.end(), emptyValue)); };
  f["any"] = [](Args& a) { return Value(!std::all_of(a.begin(), a.end(), emptyValue)); };
  f["ternary"] = [](Args& a) {
    wantArgs(a, 3, "ternary");
    return truth(a[2]) ? a[0] : a[1];
  };
  f["deepEqual"] = [](Args& a) {
    wantArgs(a, 2, "deepEqual");
    return Value(deepEqual(a[0], a[1]));
  };
  f["typeOf"] = [](Args& a) {
    wantArgs(a, 1, "typeOf");
    return Value(a[0].isNil() ? std::string("<nil>") : kindName(a[0]));
  };
  f["kindOf"] = [](Args& a) {
    wantArgs(a, 1, "kindOf");
    return Value(reflectKind(a[0]));
  };
  f["kindIs"] = [](Args& a) {
    wantArgs(a, 2, "kindIs");
    return Value(strval(a[0]) == reflectKind(a[1]));
  };
  f["toString"] = [](Args& a) {
    wantArgs(a, 1, "toString");
    return Value(strval(a[0]));
  };
  f["toStrings"] = [](Args& a) {
    wantArgs(a, 1, "toStrings");
    List out;
    if (a[0].isList()) {
      for (const auto& v : a[0].asList()) {
        if (!v.isNil()) {  // Sprig's strslice drops nil elements
          out.emplace_back(strval(v));
        }
      }
    } else if (!a[0].isNil()) {
      out.emplace_back(strval(a[0]));
    }
    return typed(makeList(std::move(out)), "[]string");
  };
  f["atoi"] = [](Args& a) {
    wantArgs(a, 1, "atoi");
    return Value(goAtoi(strval(a[0])));
  };
  f["int"] = [](Args& a) {
    wantArgs(a, 1, "int");
    return Value(toInt64(a[0]));
  };
  f["int64"] = [](Args& a) {
    wantArgs(a, 1, "int64");
    return typed(Value(toInt64(a[0])), "int64");
  };
  f["float64"] = [](Args& a) {
    wantArgs(a, 1, "float64");
    return Value(toFloat64(a[0]));
  };
}

}  // namespace gatehouse::templates
