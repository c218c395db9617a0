// headers: request and response header operations (Caddyfile `header`, `request_header`).
// Order within one op set follows Caddy's HeaderOps.ApplyTo: add, set, delete, replace.
// Response ops run at once, or when the head is written if `deferred` or `require` is set
// (so they also see headers that later handlers add).

#include <re2/re2.h>

#include <optional>

#include "handlers/go_expand.h"
#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using config::Json;
using provision::ProvisionError;
using router::Template;
using runtime::Exchange;
using runtime::HeaderList;

namespace {

struct Replacement {
  Template field;
  std::optional<Template> search;
  std::unique_ptr<re2::RE2> searchRegexp;
  Template replace;
};

struct HeaderOps {
  std::vector<std::pair<Template, std::vector<Template>>> add;
  std::vector<std::pair<Template, std::vector<Template>>> set;
  std::vector<Template> remove;
  std::vector<Replacement> replace;

  void apply(HeaderList& hdr, const Exchange& ex) const {
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
          for (size_t pos = f.value.find(s); pos != std::string::npos; pos = f.value.find(s, pos + with.size())) {
            f.value.replace(pos, s.size(), with);
          }
        }
      }
    }
  }

  // "*" prefix/suffix wildcards delete every matching field, as Caddy does.
  static void deleteField(HeaderList& hdr, std::string name) {
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
};

struct Require {
  std::vector<int> statusCodes;  // 2 means 2xx, as Caddy's StatusCodeMatches
  std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>> headers;

  [[nodiscard]] bool matches(const Exchange& ex) const {
    if (!statusCodes.empty()) {
      bool ok = false;
      for (int c : statusCodes) {
        if (c == ex.response.status || (c < 100 && ex.response.status / 100 == c)) {
          ok = true;
        }
      }
      if (!ok) {
        return false;
      }
    }
    for (const auto& [field, values] : headers) {
      const std::string* v = ex.response.headers.find(field);
      if (!values) {
        if (v) {
          return false;
        }
        continue;
      }
      if (!v) {
        return false;
      }
      if (!values->empty() && std::find(values->begin(), values->end(), *v) == values->end()) {
        return false;
      }
    }
    return true;
  }
};

class Headers final : public runtime::Handler, public runtime::OutputStage {
 public:
  Headers(std::optional<HeaderOps> request, std::optional<HeaderOps> response, std::optional<Require> require,
          bool deferred)
      : request_(std::move(request)), response_(std::move(response)), require_(std::move(require)), deferred_(deferred) {}

  // Handler
  runtime::Outcome handle(Exchange& ex) const override {
    if (request_) {
      // Host is not a header field here (as in Go); let ops on it act on the request's host.
      ex.request.headers.add("Host", ex.request.host);
      request_->apply(ex.request.headers, ex);
      ex.request.host = std::string(ex.request.headers.get("Host"));
      ex.request.headers.remove("Host");
    }
    if (response_) {
      if (deferred_ || require_) {
        ex.stages.push_back(this);
      } else {
        response_->apply(ex.response.headers, ex);
      }
    }
    return runtime::Outcome::Continue;
  }

  // OutputStage
  void onHead(Exchange& ex) const override {
    if (require_ && !require_->matches(ex)) {
      return;
    }
    response_->apply(ex.response.headers, ex);
  }

 private:
  std::optional<HeaderOps> request_;
  std::optional<HeaderOps> response_;
  std::optional<Require> require_;
  bool deferred_;
};
static_assert(std::derived_from<Headers, runtime::Handler>);

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

HeaderOps parseOps(const Json& j, const std::string& path, bool response) {
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
          Replacement rep{Template(field), std::nullopt, nullptr, Template(r.value("replace", ""))};
          if (r.contains("search_regexp")) {
            rep.searchRegexp = std::make_unique<re2::RE2>(r["search_regexp"].get<std::string>(), re2::RE2::Quiet);
            if (!rep.searchRegexp->ok()) {
              throw ProvisionError(p + "." + field, "invalid search_regexp: " + rep.searchRegexp->error());
            }
          } else {
            rep.search.emplace(r.value("search", ""));
          }
          ops.replace.push_back(std::move(rep));
        }
      }
    } else if (response && (key == "require" || key == "deferred")) {
      continue;
    } else {
      throw ProvisionError(p, "header operation '" + key + "' is not supported yet");
    }
  }
  return ops;
}

}  // namespace

std::unique_ptr<runtime::Handler> makeHeaders(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"request", "response"});
  std::optional<HeaderOps> request;
  std::optional<HeaderOps> response;
  std::optional<Require> require;
  bool deferred = false;
  try {
    if (h.fields.contains("request")) {
      request = parseOps(h.fields["request"], path + ".request", false);
    }
    if (h.fields.contains("response")) {
      const auto& r = h.fields["response"];
      response = parseOps(r, path + ".response", true);
      deferred = r.value("deferred", false);
      if (r.contains("require")) {
        Require req;
        const auto& rq = r["require"];
        for (const auto& [k, v] : rq.items()) {
          if (k == "status_code") {
            req.statusCodes = v.get<std::vector<int>>();
          } else if (k == "headers") {
            for (const auto& [field, vals] : v.items()) {
              if (vals.is_null()) {
                req.headers.emplace_back(field, std::nullopt);
              } else {
                req.headers.emplace_back(field, vals.get<std::vector<std::string>>());
              }
            }
          } else {
            throw ProvisionError(path + ".response.require." + k, "not supported yet");
          }
        }
        require = std::move(req);
      }
    }
  } catch (const config::Json::exception& e) {
    throw ProvisionError(path, std::string("malformed header operations: ") + e.what());
  }
  return std::make_unique<Headers>(std::move(request), std::move(response), std::move(require), deferred);
}

}  // namespace gatehouse::handlers
