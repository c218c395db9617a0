// Sprig's JSON functions (toJson, toPrettyJson, toRawJson, fromJson and their must* forms)
// with encoding/json's text: sorted keys, HTML escaping in toJson, numbers decoded as float64.

#include <cstdio>

#include <nlohmann/json.hpp>

#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

void jsonString(std::string& out, const std::string& s, bool escapeHtml) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || (escapeHtml && (c == '<' || c == '>' || c == '&'))) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void appendJson(std::string& out, const Value& v, bool escapeHtml, const std::string& indent, int depth) {
  auto newline = [&](int d) {
    if (!indent.empty()) {
      out += '\n';
      for (int i = 0; i < d; ++i) {
        out += indent;
      }
    }
  };
  switch (v.v.index()) {
    case 0: out += "null"; return;
    case 1: out += v.asBool() ? "true" : "false"; return;
    case 2: out += std::to_string(v.asInt()); return;
    case 3: {
      // encoding/json: %f-like below 1e21, exponent form beyond (and below 1e-6).
      const double f = v.asFloat();
      const double af = f < 0 ? -f : f;
      if (af != 0 && (af < 1e-6 || af >= 1e21)) {
        out += formatFloatG(f);
      } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", f);
        // shortest form that round-trips, without exponent
        std::string s = formatFloatG(f);
        if (s.find('e') != std::string::npos) {
          std::snprintf(buf, sizeof buf, "%.0f", f);
          s = buf;
        }
        out += s;
      }
      return;
    }
    case 4: jsonString(out, v.asString(), escapeHtml); return;
    case 5: {
      const auto& l = v.asList();
      out += '[';
      for (size_t i = 0; i < l.size(); ++i) {
        if (i > 0) {
          out += ',';
        }
        newline(depth + 1);
        appendJson(out, l[i], escapeHtml, indent, depth + 1);
      }
      if (!l.empty()) {
        newline(depth);
      }
      out += ']';
      return;
    }
    case 6: {
      const auto& m = v.asMap().entries;
      out += '{';
      bool first = true;
      for (const auto& [k, item] : m) {
        if (!first) {
          out += ',';
        }
        first = false;
        newline(depth + 1);
        jsonString(out, k, escapeHtml);
        out += indent.empty() ? ":" : ": ";
        appendJson(out, item, escapeHtml, indent, depth + 1);
      }
      if (!m.empty()) {
        newline(depth);
      }
      out += '}';
      return;
    }
    case 7: jsonString(out, v.asObject().print(), escapeHtml); return;
    default: throw TemplateError("json: unsupported type: func");
  }
}

Value fromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return Value(j.get<double>());  // Go decodes numbers as float64
    case nlohmann::json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      List l;
      for (const auto& e : j) {
        l.push_back(fromJson(e));
      }
      return makeList(std::move(l));
    }
    case nlohmann::json::value_t::object: {
      Value m = makeMap();
      for (const auto& [k, e] : j.items()) {
        m.asMap().entries[k] = fromJson(e);
      }
      return m;
    }
    default: return {};
  }
}

}  // namespace

std::string toJsonText(const Value& v, bool escapeHtml, const std::string& indent) {
  std::string out;
  appendJson(out, v, escapeHtml, indent, 0);
  return out;
}

void addSprigJson(FuncMap& f) {
  f["toJson"] = [](Args& a) {
    wantArgs(a, 1, "toJson");
    return Value(toJsonText(a[0], true));
  };
  f["mustToJson"] = f["toJson"];
  f["toPrettyJson"] = [](Args& a) {
    wantArgs(a, 1, "toPrettyJson");
    return Value(toJsonText(a[0], true, "  "));
  };
  f["mustToPrettyJson"] = f["toPrettyJson"];
  f["toRawJson"] = [](Args& a) {
    wantArgs(a, 1, "toRawJson");
    return Value(toJsonText(a[0], false));
  };
  f["mustToRawJson"] = f["toRawJson"];
  f["fromJson"] = [](Args& a) {
    wantArgs(a, 1, "fromJson");
    auto j = nlohmann::json::parse(strval(a[0]), nullptr, false);
    return j.is_discarded() ? makeMap() : fromJson(j);  // sprig returns an empty dict on errors
  };
  f["mustFromJson"] = [](Args& a) {
    wantArgs(a, 1, "mustFromJson");
    auto j = nlohmann::json::parse(strval(a[0]), nullptr, false);
    if (j.is_discarded()) {
      throw TemplateError("mustFromJson: invalid JSON");
    }
    return fromJson(j);
  };
}

}  // namespace gatehouse::templates
