#include "handlers/query_ops.h"

#include <algorithm>

#include "handlers/go_expand.h"
#include "http/uri.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

using config::Json;
using provision::ProvisionError;
using router::Template;

namespace {

constexpr auto kKeep = Template::Unknown::Keep;

std::string text(const Json& obj, const char* key) {
  return obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : "";
}

void replaceIn(std::string& value, const std::string& search, const re2::RE2* re, const std::string& with) {
  if (re != nullptr) {
    value = goReplaceAll(*re, value, with);  // Go's ReplaceAllString: $1, ${name}, $$
    return;
  }
  if (search.empty()) {
    return;  // strings.ReplaceAll with "" would insert between every rune; Caddy users never mean that
  }
  for (size_t pos = value.find(search); pos != std::string::npos;
       pos = value.find(search, pos + with.size())) {
    value.replace(pos, search.size(), with);
  }
}

}  // namespace

QueryOps QueryOps::fromJson(const Json& cfg, const std::string& path) {
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  QueryOps ops;
  for (const auto& [op, list] : cfg.items()) {
    const std::string p = path + "." + op;
    if (op != "rename" && op != "set" && op != "add" && op != "replace" && op != "delete") {
      throw ProvisionError(p, "query operation '" + op + "' is not supported yet");
    }
    if (!list.is_array()) {
      throw ProvisionError(p, "expected an array");
    }
    for (const auto& item : list) {
      if (op == "delete") {
        ops.delete_.emplace_back(item.is_string() ? item.get<std::string>() : "");
      } else if (op == "rename" || op == "set" || op == "add") {
        auto& to = op == "rename" ? ops.rename_ : op == "set" ? ops.set_ : ops.add_;
        to.push_back(Pair{Template(text(item, "key")), Template(text(item, "val"))});
      } else {
        Replace r{Template(text(item, "key")), Template(text(item, "search")), nullptr,
                  Template(text(item, "replace"))};
        if (item.contains("search_regexp")) {
          r.regexp = std::make_shared<re2::RE2>(text(item, "search_regexp"), re2::RE2::Quiet);
          if (!r.regexp->ok()) {
            throw ProvisionError(p, "invalid regular expression: " + r.regexp->error());
          }
        }
        ops.replace_.push_back(std::move(r));
      }
    }
  }
  return ops;
}

QueryOps::Values QueryOps::parse(std::string_view query) {
  Values out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) {
      continue;  // Go rejects semicolons as separators and skips the pair
    }
    const size_t eq = pair.find('=');
    std::string k(pair.substr(0, eq));
    std::string v(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    std::replace(k.begin(), k.end(), '+', ' ');
    std::replace(v.begin(), v.end(), '+', ' ');
    auto dk = http::percentDecode(k);
    auto dv = http::percentDecode(v);
    if (dk && dv) {
      out[*dk].push_back(*dv);
    }
  }
  return out;
}

std::string QueryOps::encode(const Values& values) {
  std::string out;
  for (const auto& [k, vs] : values) {  // std::map: sorted by key, as Encode
    const std::string key = http::queryEscape(k);
    for (const auto& v : vs) {
      if (!out.empty()) {
        out += '&';
      }
      out += key + "=" + http::queryEscape(v);
    }
  }
  return out;
}

void QueryOps::apply(runtime::Exchange& ex) const {
  Values q = parse(ex.request.query);
  for (const auto& r : rename_) {
    const std::string from = r.key.render(ex);
    const std::string to = r.val.render(ex);
    if (from.empty() || to.empty()) {
      continue;
    }
    auto it = q.find(from);
    std::vector<std::string> moved = it == q.end() ? std::vector<std::string>{} : it->second;
    q[to] = std::move(moved);  // Go: query[val] = query[key] (nil when absent), then delete
    q.erase(from);
  }
  for (const auto& s : set_) {
    if (std::string k = s.key.render(ex); !k.empty()) {
      q[k] = {s.val.render(ex)};
    }
  }
  for (const auto& a : add_) {
    if (std::string k = a.key.render(ex); !k.empty()) {
      q[k].push_back(a.val.render(ex));
    }
  }
  for (const auto& r : replace_) {
    const std::string key = r.key.render(ex);
    const std::string search = r.search.render(ex, kKeep);
    const std::string with = r.replace.render(ex, kKeep);
    for (auto& [name, vals] : q) {
      if (key == "*" || name == key) {
        for (auto& v : vals) {
          replaceIn(v, search, r.regexp.get(), with);
        }
      }
    }
  }
  for (const auto& d : delete_) {
    if (std::string k = d.render(ex); !k.empty()) {
      q.erase(k);
    }
  }
  ex.request.query = encode(q);
  ex.request.hasQuery = !ex.request.query.empty();
}

}  // namespace gatehouse::handlers
