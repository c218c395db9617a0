// Sprig's JSON functions (toJson, toPrettyJson, toRawJson, fromJson and their must* forms)
// with encoding/json's text: sorted keys, HTML escaping in toJson, numbers decoded as float64.

#include <cstdio>
#include <nlohmann/json.hpp>

#include "log/json_text.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

// encoding/json's string: zap's escaping (log/json_text.h) plus U+2028/U+2029, and <, >, &
// as \u003c... when `escapeHtml` (json.Marshal; Sprig's toRawJson turns that off).
void jsonString(std::string& out, std::string_view s, bool escapeHtml) {
  log::appendJsonString(out, s, {.html = escapeHtml, .lineSeparators = true});
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
    case 0:
      out += "null";
      return;
    case 1:
      out += v.asBool() ? "true" : "false";
      return;
    case 2:
      out += std::to_string(v.asInt());
      return;
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
    case 4:
      jsonString(out, v.asString(), escapeHtml);
      return;
    case 5: {
      if (isNilComposite(v)) {
        out += "null";
        return;
      }
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
      if (isNilComposite(v)) {
        out += "null";
        return;
      }
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
    case 7: {
      const JsonForm form = v.asObject().json();
      if (form.value) {
        appendJson(out, *form.value, escapeHtml, indent, depth);
        return;
      }
      out += '{';
      for (size_t i = 0; i < form.fields.size(); ++i) {
        if (i > 0) {
          out += ',';
        }
        newline(depth + 1);
        jsonString(out, form.fields[i].first, escapeHtml);
        out += indent.empty() ? ":" : ": ";
        appendJson(out, form.fields[i].second, escapeHtml, indent, depth + 1);
      }
      if (!form.fields.empty()) {
        newline(depth);
      }
      out += '}';
      return;
    }
    default:
      throw TemplateError("json: unsupported type: func");
  }
}

Value fromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return Value(j.get<double>());  // Go decodes numbers as float64
    case nlohmann::json::value_t::string:
      return Value(j.get<std::string>());
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
    default:
      return {};
  }
}

}  // namespace

std::string toJsonText(const Value& v, bool escapeHtml, const std::string& indent) {
  std::string out;
  appendJson(out, v, escapeHtml, indent, 0);
  return out;
}

void addSprigJson(FuncMap& f) {
  // Sprig's toJson family drops json.Marshal's error (an empty string); the must* forms return it.
  auto encoder = [](const char* fn, bool escapeHtml, const char* indent, bool must) {
    return [fn, escapeHtml, indent, must](Args& a) {
      wantArgs(a, 1, fn);
      try {
        return Value(toJsonText(a[0], escapeHtml, indent));
      } catch (const TemplateError&) {
        if (must) {
          throw;
        }
        return Value("");
      }
    };
  };
  f["toJson"] = encoder("toJson", true, "", false);
  f["mustToJson"] = encoder("mustToJson", true, "", true);
  f["toPrettyJson"] = encoder("toPrettyJson", true, "  ", false);
  f["mustToPrettyJson"] = encoder("mustToPrettyJson", true, "  ", true);
  f["toRawJson"] = encoder("toRawJson", false, "", false);
  f["mustToRawJson"] = encoder("mustToRawJson", false, "", true);
  f["fromJson"] = [](Args& a) {
    wantArgs(a, 1, "fromJson");
    auto j = nlohmann::json::parse(strval(a[0]), nullptr, false);
    return j.is_discarded() ? Value() : fromJson(j);  // Sprig 3.2 drops the error: nil
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
