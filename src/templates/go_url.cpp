// Go's net/url parsing and printing (Go 1.19, which Caddy 2.6.2 is built with), for the
// parts Sprig's urlParse and urlJoin reach: escaping modes, authority, opaque URLs.

#include "templates/go_url.h"

#include <algorithm>

#include "templates/format.h"
#include "templates/value.h"

namespace gatehouse::templates {

namespace {

enum class Mode { Path, Host, UserPassword, Fragment };

bool isAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int unhex(char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

// Go's shouldEscape for the modes used here.
bool shouldEscape(unsigned char c, Mode mode) {
  if (isAlnum(c)) {
    return false;
  }
  if (mode == Mode::Host &&
      std::string_view("!$&'()*+,;=:[]<>\"").find(static_cast<char>(c)) != std::string_view::npos) {
    return false;
  }
  if (c == '-' || c == '_' || c == '.' || c == '~') {
    return false;
  }
  if (std::string_view("$&+,/:;=?@").find(static_cast<char>(c)) != std::string_view::npos) {
    switch (mode) {
      case Mode::Path:
        return c == '?';
      case Mode::UserPassword:
        return c == '@' || c == '/' || c == '?' || c == ':';
      case Mode::Fragment:
        return false;
      case Mode::Host:
        return true;
    }
  }
  if (mode == Mode::Fragment && (c == '!' || c == '(' || c == ')' || c == '*')) {
    return false;
  }
  return true;
}

std::string escape(const std::string& s, Mode mode) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (shouldEscape(c, mode)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct UrlError {
  std::string msg;
};

std::string unescape(const std::string& s, Mode mode) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw UrlError{"invalid URL escape " + goQuote(s.substr(i, 3))};
      }
      // A host may only carry %25 or escapes of non-ASCII bytes.
      if (mode == Mode::Host && unhex(s[i + 1]) < 8 && s.compare(i, 3, "%25") != 0) {
        throw UrlError{"invalid URL escape " + goQuote(s.substr(i, 3))};
      }
      out += static_cast<char>(unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
      i += 3;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (mode == Mode::Host && c < 0x80 && shouldEscape(c, mode)) {
      throw UrlError{"invalid character " + goQuote(s.substr(i, 1)) + " in host name"};
    }
    out += s[i++];
  }
  return out;
}

bool validOptionalPort(std::string_view port) {
  if (port.empty()) {
    return true;
  }
  return port[0] == ':' &&
         std::all_of(port.begin() + 1, port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string parseHost(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.rfind(']');
    if (close == std::string::npos) {
      throw UrlError{"missing ']' in host"};
    }
    const std::string colonPort = host.substr(close + 1);
    if (!validOptionalPort(colonPort)) {
      throw UrlError{"invalid port " + goQuote(colonPort) + " after host"};
    }
  } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    const std::string colonPort = host.substr(colon);
    if (!validOptionalPort(colonPort)) {
      throw UrlError{"invalid port " + goQuote(colonPort) + " after host"};
    }
  }
  return unescape(host, Mode::Host);
}

bool validUserinfo(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return isAlnum(static_cast<unsigned char>(c)) ||
           std::string_view("-._:~!$&'()*+,;=%@").find(c) != std::string_view::npos;
  });
}

void parseAuthority(const std::string& authority, GoUrl& u) {
  const size_t at = authority.rfind('@');
  u.host = parseHost(at == std::string::npos ? authority : authority.substr(at + 1));
  if (at == std::string::npos) {
    return;
  }
  const std::string info = authority.substr(0, at);
  if (!validUserinfo(info)) {
    throw UrlError{"net/url: invalid userinfo"};
  }
  u.hasUser = true;
  const size_t colon = info.find(':');
  u.username = unescape(info.substr(0, colon), Mode::UserPassword);
  if (colon != std::string::npos) {
    u.password = unescape(info.substr(colon + 1), Mode::UserPassword);
  }
}

// Splits the scheme off as Go's getScheme does ("" when the text has none).
std::string takeScheme(std::string& rest) {
  for (size_t i = 0; i < rest.size(); ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      continue;
    }
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) {
        return "";
      }
      continue;
    }
    if (c == ':') {
      if (i == 0) {
        throw UrlError{"missing protocol scheme"};
      }
      std::string scheme = rest.substr(0, i);
      rest.erase(0, i + 1);
      std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      return scheme;
    }
    return "";
  }
  return "";
}

GoUrl parseNoFragment(const std::string& raw) {
  GoUrl u;
  if (std::any_of(raw.begin(), raw.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    throw UrlError{"net/url: invalid control character in URL"};
  }
  if (raw == "*") {
    u.path = "*";
    return u;
  }
  std::string rest = raw;
  u.scheme = takeScheme(rest);
  if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
    u.forceQuery = true;
    rest.pop_back();
  } else if (const size_t q = rest.find('?'); q != std::string::npos) {
    u.rawQuery = rest.substr(q + 1);
    rest.resize(q);
  }
  if (rest.empty() || rest[0] != '/') {
    if (!u.scheme.empty()) {
      u.opaque = rest;
      return u;
    }
    if (rest.substr(0, rest.find('/')).find(':') != std::string::npos) {
      throw UrlError{"first path segment in URL cannot contain colon"};
    }
  }
  if ((!u.scheme.empty() || rest.rfind("///", 0) != 0) && rest.rfind("//", 0) == 0) {
    const size_t slash = rest.find('/', 2);
    parseAuthority(rest.substr(2, slash == std::string::npos ? std::string::npos : slash - 2), u);
    rest = slash == std::string::npos ? "" : rest.substr(slash);
  }
  u.path = unescape(rest, Mode::Path);
  return u;
}

}  // namespace

std::string GoUrl::hostname() const {
  std::string h = host;
  const size_t colon = h.rfind(':');
  if (colon != std::string::npos && validOptionalPort(std::string_view(h).substr(colon))) {
    h.resize(colon);
  }
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  return h;
}

std::string GoUrl::userinfo() const {
  if (!hasUser) {
    return "";
  }
  std::string s = escape(username, Mode::UserPassword);
  if (password) {
    s += ':' + escape(*password, Mode::UserPassword);
  }
  return s;
}

std::string GoUrl::str() const {
  std::string out;
  if (!scheme.empty()) {
    out += scheme + ':';
  }
  if (!opaque.empty()) {
    out += opaque;
  } else {
    if (!scheme.empty() || !host.empty() || hasUser) {
      if (!host.empty() || !path.empty() || hasUser) {
        out += "//";
      }
      if (hasUser) {
        out += userinfo() + '@';
      }
      out += escape(host, Mode::Host);
    }
    const std::string p = path == "*" ? path : escape(path, Mode::Path);
    if (!p.empty() && p[0] != '/' && !host.empty()) {
      out += '/';
    }
    // RFC 3986 4.2: a relative path whose first segment has a colon gets "./".
    if (out.empty() && p.substr(0, p.find('/')).find(':') != std::string::npos) {
      out += "./";
    }
    out += p;
  }
  if (forceQuery || !rawQuery.empty()) {
    out += '?' + rawQuery;
  }
  if (!fragment.empty()) {
    out += '#' + escape(fragment, Mode::Fragment);
  }
  return out;
}

GoUrl goParseUrl(const std::string& raw) {
  const size_t hash = raw.find('#');
  const std::string noFrag = raw.substr(0, hash);
  GoUrl u;
  try {
    u = parseNoFragment(noFrag);
  } catch (const UrlError& e) {
    throw TemplateError("parse " + goQuote(noFrag) + ": " + e.msg);
  }
  if (hash != std::string::npos) {
    try {
      u.fragment = unescape(raw.substr(hash + 1), Mode::Fragment);
    } catch (const UrlError& e) {
      throw TemplateError("parse " + goQuote(raw) + ": " + e.msg);
    }
  }
  return u;
}

}  // namespace gatehouse::templates
