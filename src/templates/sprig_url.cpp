// Sprig's urlParse and urlJoin over Go's net/url (go_url.h).

#include "templates/go_url.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

Value urlParse(Args& a) {
  if (a.size() != 1) {
    throw TemplateError("wrong number of args for urlParse: want 1 got " + std::to_string(a.size()));
  }
  GoUrl u;
  try {
    u = goParseUrl(strval(a[0]));
  } catch (const TemplateError& e) {
    throw TemplateError(std::string("unable to parse url: ") + e.what());
  }
  Value m = makeMap();
  auto& e = m.asMap().entries;
  e["scheme"] = u.scheme;
  e["host"] = u.host;
  e["hostname"] = u.hostname();
  e["path"] = u.path;
  e["query"] = u.rawQuery;
  e["opaque"] = u.opaque;
  e["fragment"] = u.fragment;
  e["userinfo"] = u.userinfo();
  return m;
}

// A string entry of the dict, "" when absent; any other kind is Sprig's error.
std::string entry(const MapData& d, const char* key) {
  auto it = d.entries.find(key);
  if (it == d.entries.end()) {
    return "";
  }
  if (!it->second.isString()) {
    throw TemplateError(std::string("unable to parse ") + key + " key, must be of type string, but " +
                        reflectKind(it->second) + " found");
  }
  return it->second.asString();
}

Value urlJoin(Args& a) {
  if (a.size() != 1) {
    throw TemplateError("wrong number of args for urlJoin: want 1 got " + std::to_string(a.size()));
  }
  if (!a[0].isMap()) {
    throw TemplateError("wrong type for value; expected map[string]interface {}; got " + kindName(a[0]));
  }
  const auto& d = a[0].asMap();
  GoUrl u;
  u.scheme = entry(d, "scheme");
  u.host = entry(d, "host");
  u.path = entry(d, "path");
  u.rawQuery = entry(d, "query");
  u.opaque = entry(d, "opaque");
  u.fragment = entry(d, "fragment");
  // Sprig reads the userinfo back through a parsed "proto://INFO@host".
  if (const std::string info = entry(d, "userinfo"); !info.empty()) {
    try {
      const GoUrl parsed = goParseUrl("proto://" + info + "@host");
      u.hasUser = parsed.hasUser;
      u.username = parsed.username;
      u.password = parsed.password;
    } catch (const TemplateError& e) {
      throw TemplateError(std::string("unable to parse userinfo in dict: ") + e.what());
    }
  }
  return Value(u.str());
}

}  // namespace

void addSprigUrl(FuncMap& f) {
  f["urlParse"] = urlParse;
  f["urlJoin"] = urlJoin;
}

}  // namespace gatehouse::templates
