#include "proxy/header_rules.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "http/field_syntax.h"
#include "provision/provision_error.h"
#include "router/unix_peer.h"

namespace gatehouse::proxy {

using provision::ProvisionError;
using router::Template;
using runtime::equalsIgnoreCase;
using runtime::HeaderList;

namespace {

constexpr std::array<std::string_view, 9> kHopByHop = {
    "Connection", "Keep-Alive",        "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te",
    "Trailer",    "Transfer-Encoding", "Upgrade"};

std::vector<std::string> connectionTokens(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& f : headers) {
    if (!equalsIgnoreCase(f.name, "Connection")) {
      continue;
    }
    size_t start = 0;
    while (start <= f.value.size()) {
      size_t comma = f.value.find(',', start);
      std::string tok = f.value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      tok.erase(0, tok.find_first_not_of(" \t"));
      tok.erase(tok.find_last_not_of(" \t") + 1);
      if (!tok.empty()) {
        out.push_back(std::move(tok));
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Go's Regexp.ReplaceAllString template ($1, ${1}, $name, $$) as an RE2 rewrite string
// (\1; RE2 rewrites reach groups 0-9 only, a higher or unknown group expands to nothing).
std::string goExpandToRe2(std::string_view t, const re2::RE2& re) {
  std::string out;
  const auto& named = re.NamedCapturingGroups();
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '\\') {
      out += "\\\\";
      continue;
    }
    if (c != '$' || i + 1 >= t.size()) {
      out += c;
      continue;
    }
    if (t[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    const bool brace = t[i + 1] == '{';
    const size_t start = i + 1 + (brace ? 1 : 0);
    size_t end = start;
    while (end < t.size() && (std::isalnum(static_cast<unsigned char>(t[end])) != 0 || t[end] == '_')) {
      ++end;
    }
    if (end == start || (brace && (end >= t.size() || t[end] != '}'))) {
      out += c;  // not a reference: Go keeps the '$'
      continue;
    }
    const std::string name(t.substr(start, end - start));
    int group = -1;
    if (name.find_first_not_of("0123456789") == std::string::npos) {
      group = name.size() <= 2 ? std::stoi(name) : -1;
    } else if (auto it = named.find(name); it != named.end()) {
      group = it->second;
    }
    if (group >= 0 && group <= 9 && group <= re.NumberOfCapturingGroups()) {
      out += '\\';
      out += static_cast<char>('0' + group);
    }
    i = brace ? end : end - 1;
  }
  return out;
}

}  // namespace

std::vector<HeaderOps::Field> parseFields(const config::Json& j, const std::string& path) {
  if (!j.is_object()) {
    throw ProvisionError(path, "expected an object of string arrays");
  }
  std::vector<HeaderOps::Field> out;
  for (const auto& [name, vals] : j.items()) {
    HeaderOps::Field f{Template(name), {}};
    if (!vals.is_array()) {
      throw ProvisionError(path + "." + name, "expected an array of strings");
    }
    for (const auto& v : vals) {
      if (!v.is_string()) {
        throw ProvisionError(path + "." + name, "expected strings");
      }
      f.values.emplace_back(v.get<std::string>());
    }
    out.push_back(std::move(f));
  }
  return out;
}

HeaderOps HeaderOps::parse(const config::Json& j, const std::string& path) {
  HeaderOps ops;
  if (!j.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [key, value] : j.items()) {
    const std::string p = path + "." + key;
    if (key == "add") {
      ops.add_ = parseFields(value, p);
    } else if (key == "set") {
      ops.set_ = parseFields(value, p);
    } else if (key == "delete") {
      for (const auto& v : value) {
        ops.delete_.emplace_back(v.get<std::string>());
      }
    } else if (key == "replace") {
      for (const auto& [field, reps] : value.items()) {
        for (const auto& r : reps) {
          Replacement rep{Template(field), std::nullopt, nullptr, Template(r.value("replace", ""))};
          if (r.contains("search_regexp")) {
            rep.regexp = std::make_shared<re2::RE2>(r["search_regexp"].get<std::string>(), re2::RE2::Quiet);
            if (!rep.regexp->ok()) {
              throw ProvisionError(p + "." + field, "invalid search_regexp: " + rep.regexp->error());
            }
          } else {
            rep.search.emplace(r.value("search", ""));
          }
          ops.replace_.push_back(std::move(rep));
        }
      }
    } else {
      throw ProvisionError(p, "header operation '" + key + "' is not supported yet");
    }
  }
  return ops;
}

void HeaderOps::apply(HeaderList& hdr, const runtime::Exchange& ex) const {
  const auto keep = Template::Unknown::Keep;
  for (const auto& f : add_) {
    const std::string n = runtime::canonicalHeaderName(f.name.render(ex, keep));
    for (const auto& v : f.values) {
      hdr.add(n, v.render(ex, keep));
    }
  }
  for (const auto& f : set_) {
    const std::string n = runtime::canonicalHeaderName(f.name.render(ex, keep));
    std::vector<std::string> values;
    for (const auto& v : f.values) {
      values.push_back(v.render(ex, keep));
    }
    hdr.remove(n);
    for (auto& v : values) {
      hdr.add(n, v);
    }
  }
  for (const auto& t : delete_) {
    // "*" prefix/suffix wildcards delete every matching field, as Caddy does.
    const std::string name = lower(t.render(ex, keep));
    const bool pre = !name.empty() && name.front() == '*';
    const bool suf = name.size() > 1 && name.back() == '*';
    const std::string core = name.substr(pre ? 1 : 0, name.size() - (pre ? 1 : 0) - (suf ? 1 : 0));
    hdr.removeIf([&](std::string_view field) {
      const std::string l = lower(field);
      if (pre && suf) {
        return l.find(core) != std::string::npos;
      }
      if (pre || suf) {
        return pre ? l.ends_with(core) : l.starts_with(core);
      }
      return l == core;
    });
  }
  for (const auto& r : replace_) {
    const std::string field = r.field.render(ex, keep);
    const std::string with = r.with.render(ex, keep);
    for (auto& f : hdr) {
      if (field != "*" && !equalsIgnoreCase(f.name, field)) {
        continue;
      }
      if (r.regexp) {
        re2::RE2::GlobalReplace(&f.value, *r.regexp, goExpandToRe2(with, *r.regexp));
        continue;
      }
      const std::string s = r.search->render(ex, keep);
      if (s.empty()) {
        continue;
      }
      for (size_t pos = f.value.find(s); pos != std::string::npos; pos = f.value.find(s, pos + with.size())) {
        f.value.replace(pos, s.size(), with);
      }
    }
  }
}

bool hasCloseToken(std::string_view value) {
  bool found = false;
  http::forEachListItem(value, [&](std::string_view item) {
    found = equalsIgnoreCase(item, "close");
    return !found;
  });
  return found;
}

bool isHopByHop(std::string_view name) {
  // By length first: every response field is asked, and most share no length with these.
  switch (name.size()) {
    case 2:
      return name == "Te";
    case 7:
      return name == "Trailer" || name == "Upgrade";
    case 10:
      return name == "Connection" || name == "Keep-Alive";
    case 16:
      return name == "Proxy-Connection";
    case 17:
      return name == "Transfer-Encoding";
    case 18:
      return name == "Proxy-Authenticate";
    case 19:
      return name == "Proxy-Authorization";
    default:
      return false;
  }
}

void removeHopByHop(HeaderList& headers, const std::string& upgrade, bool request) {
  bool trailers = false;
  bool connection = false;
  for (const auto& f : headers) {
    if (request && equalsIgnoreCase(f.name, "Te") && lower(f.value).find("trailers") != std::string::npos) {
      trailers = true;
    }
    connection = connection || equalsIgnoreCase(f.name, "Connection");
  }
  const std::vector<std::string> tokens = connection ? connectionTokens(headers) : std::vector<std::string>();
  // One pass over the fields (this runs twice per proxied request).
  headers.removeIf([&](std::string_view name) {
    const char c = name.empty() ? '\0' : static_cast<char>(name.front() | 0x20);
    if (c == 'c' || c == 'k' || c == 'p' || c == 't' || c == 'u') {
      for (auto hop : kHopByHop) {
        if (equalsIgnoreCase(name, hop)) {
          return true;
        }
      }
    }
    return std::any_of(tokens.begin(), tokens.end(),
                       [&](const std::string& t) { return equalsIgnoreCase(name, t); });
  });
  if (trailers) {
    headers.set("Te", "trailers");  // as Go's ReverseProxy: the upstream may send trailers
  }
  if (!upgrade.empty()) {
    headers.set("Connection", "Upgrade");
    // Go's ReverseProxy sends the protocol it read lower-cased (upgradeType), so a client's
    // "Upgrade: WebSocket" reaches the upstream as "websocket"; an upstream's 101 keeps its own.
    headers.set("Upgrade", request ? lower(upgrade) : upgrade);
  }
}

void setForwardedHeaders(HeaderList& headers, const runtime::Request& request, bool trusted) {
  if (router::unixPeer(request.remoteIp)) {
    // As Caddy: a peer address with no port (a unix socket's) adds none of the three and
    // drops the client's, which nothing could vouch for.
    for (const char* name : {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"}) {
      headers.remove(name);
    }
    return;
  }
  std::string xff = request.remoteIp;
  if (trusted) {
    // The client's fields joined as Go's strings.Join; an empty result adds nothing (a lone
    // empty field is not a hop).
    std::string prior;
    bool first = true;
    for (const auto& f : headers) {
      if (equalsIgnoreCase(f.name, "X-Forwarded-For")) {
        prior += first ? f.value : ", " + f.value;
        first = false;
      }
    }
    if (!prior.empty()) {
      xff = prior + ", " + xff;
    }
  }
  headers.set("X-Forwarded-For", xff);
  std::string proto = request.tls ? "https" : "http";
  if (trusted && !headers.get("X-Forwarded-Proto").empty()) {
    proto = std::string(headers.get("X-Forwarded-Proto"));
  }
  headers.set("X-Forwarded-Proto", proto);
  std::string host = request.host;
  if (trusted && !headers.get("X-Forwarded-Host").empty()) {
    host = std::string(headers.get("X-Forwarded-Host"));
  }
  headers.set("X-Forwarded-Host", host);
}

bool safeToSend(const HeaderList& headers) {
  auto bad = [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; };
  for (const auto& f : headers) {
    if (f.name.empty() || std::any_of(f.name.begin(), f.name.end(), [&](char c) {
          return bad(static_cast<unsigned char>(c)) || c == ':' || c == ' ';
        })) {
      return false;
    }
    if (std::any_of(f.value.begin(), f.value.end(),
                    [&](char c) { return bad(static_cast<unsigned char>(c)); })) {
      return false;
    }
  }
  return true;
}

}  // namespace gatehouse::proxy
