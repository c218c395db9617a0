// HeaderOps: Caddy's header operations, compiled once and applied per request.
#include "handlers/header_ops.h"

#include <algorithm>
#include <cctype>

#include "handlers/go_expand.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

using config::Json;
using provision::ProvisionError;
using router::Template;
using runtime::Exchange;
using runtime::HeaderList;

void HeaderOps::apply(HeaderList& hdr, const Exchange& ex) const {
  const auto keep = Template::Unknown::Keep;
  for (const auto& [name, vals] : add) {
    std::string n = runtime::canonicalHeaderName(name.render(ex, keep));
    for (const auto& v : vals) {
      hdr.add(n, v.render(ex, keep));
    }
  }
  for (const auto& [name, vals] : set) {
    std::string n = runtime::canonicalHeaderName(name.render(ex, keep));
    hdr.remove(n);
    for (const auto& v : vals) {
      hdr.add(n, v.render(ex, keep));
    }
  }
  for (const auto& t : remove) {
    deleteField(hdr, t.render(ex, keep));
  }
  for (const auto& r : replace) {
    std::string field = r.field.render(ex, keep);
    for (auto& f : hdr) {
      if (field != "*" && !runtime::equalsIgnoreCase(f.name, field)) {
        continue;
      }
      if (r.searchRegexp) {
        // Go's ReplaceAllString: $1 / ${name} in the replacement expand to captures.
        f.value = goReplaceAll(*r.searchRegexp, f.value, r.replace.render(ex, keep));
      } else if (r.search) {
        std::string s = r.search->render(ex, keep);
        std::string with = r.replace.render(ex, keep);
        if (s.empty()) {
          continue;
        }
        for (size_t pos = f.value.find(s); pos != std::string::npos;
             pos = f.value.find(s, pos + with.size())) {
          f.value.replace(pos, s.size(), with);
        }
      }
    }
  }
}

void HeaderOps::deleteField(HeaderList& hdr, std::string name) {
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const bool pre = !name.empty() && name.front() == '*';
  const bool suf = name.size() > 1 && name.back() == '*';
  if (!pre && !suf) {
    hdr.remove(name);
    return;
  }
  std::string core = name.substr(pre ? 1 : 0, name.size() - (pre ? 1 : 0) - (suf ? 1 : 0));
  hdr.removeIf([&](std::string_view field) {
    std::string lower(field);
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (pre && suf) {
      return lower.find(core) != std::string::npos;
    }
    return pre ? lower.ends_with(core) : lower.starts_with(core);
  });
}

namespace {

std::vector<std::pair<Template, std::vector<Template>>> fieldMap(const Json& j, const std::string& path) {
  if (!j.is_object()) {
    throw ProvisionError(path, "expected an object of string arrays");
  }
  std::vector<std::pair<Template, std::vector<Template>>> out;
  for (const auto& [name, vals] : j.items()) {
    std::vector<Template> ts;
    for (const auto& v : vals) {
      if (!v.is_string()) {
        throw ProvisionError(path + "." + name, "expected strings");
      }
      ts.emplace_back(v.get<std::string>());
    }
    out.emplace_back(Template(name), std::move(ts));
  }
  return out;
}

}  // namespace

HeaderOps parseHeaderOps(const Json& j, const std::string& path,
                         std::initializer_list<const char*> alsoAllowed) {
  HeaderOps ops;
  for (const auto& [key, value] : j.items()) {
    const std::string p = path + "." + key;
    if (key == "add") {
      ops.add = fieldMap(value, p);
    } else if (key == "set") {
      ops.set = fieldMap(value, p);
    } else if (key == "delete") {
      for (const auto& v : value) {
        ops.remove.emplace_back(v.get<std::string>());
      }
    } else if (key == "replace") {
      for (const auto& [field, reps] : value.items()) {
        for (const auto& r : reps) {
          HeaderReplacement rep{Template(field), std::nullopt, nullptr, Template(r.value("replace", ""))};
          if (r.contains("search_regexp")) {
            rep.searchRegexp =
                std::make_unique<re2::RE2>(r["search_regexp"].get<std::string>(), re2::RE2::Quiet);
            if (!rep.searchRegexp->ok()) {
              throw ProvisionError(p + "." + field, "invalid search_regexp: " + rep.searchRegexp->error());
            }
          } else {
            rep.search.emplace(r.value("search", ""));
          }
          ops.replace.push_back(std::move(rep));
        }
      }
    } else if (std::any_of(alsoAllowed.begin(), alsoAllowed.end(), [&](const char* k) { return key == k; })) {
      continue;
    } else {
      throw ProvisionError(p, "header operation '" + key + "' is not supported yet");
    }
  }
  return ops;
}

}  // namespace gatehouse::handlers
