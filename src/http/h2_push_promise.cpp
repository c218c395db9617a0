#include "http/h2_push_promise.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace gatehouse::http {

namespace {

bool isHex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}
int hexValue(char c) {
  return c <= '9' ? c - '0' : (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
}

// Go's shouldEscape(c, encodePath).
bool escapedInPath(unsigned char c) {
  if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
    return false;
  }
  static constexpr std::string_view kKept = "$&+,/:;=@";
  return kKept.find(static_cast<char>(c)) == std::string_view::npos;
}

// Go's validEncoded(s, encodePath): the path may be sent as written.
bool validEncodedPath(std::string_view s) {
  static constexpr std::string_view kAllowed = "!$&'()*+,;=:@[]%";
  return std::all_of(s.begin(), s.end(), [](char c) {
    return kAllowed.find(c) != std::string_view::npos || !escapedInPath(static_cast<unsigned char>(c));
  });
}

// Go's unescape(s, encodePath); false on a malformed %-escape.
bool unescapePath(std::string_view s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
      return false;
    }
    out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
    i += 2;
  }
  return true;
}

std::string escapePath(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (escapedInPath(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

bool hasControlByte(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Go's getScheme: a scheme is a letter then letters, digits, '+', '-', '.' up to ':'.
// Returns the scheme (lower-cased, as url.Parse) or "" when there is none; `bad` when the
// text starts with ':' ("missing protocol scheme").
std::string schemeOf(std::string_view s, bool& bad) {
  bad = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isalpha(c) != 0) {
      continue;
    }
    if (std::isdigit(c) != 0 || c == '+' || c == '-' || c == '.') {
      if (i == 0) {
        return "";
      }
      continue;
    }
    if (c == ':') {
      if (i == 0) {
        bad = true;
        return "";
      }
      std::string scheme(s.substr(0, i));
      std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                     [](unsigned char x) { return static_cast<char>(std::tolower(x)); });
      return scheme;
    }
    return "";
  }
  return "";
}

bool equalsFold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Fields a promised request may not carry (Go's Push and checkValidHTTP2RequestHeaders).
std::string forbiddenField(const runtime::HeaderList& headers) {
  static constexpr std::array<std::string_view, 11> kForbidden = {
      "content-length",   "content-encoding", "trailer",           "te",     "expect", "host", "connection",
      "proxy-connection", "keep-alive",       "transfer-encoding", "upgrade"};
  for (const auto& f : headers) {
    if (f.name.starts_with(':')) {
      return "promised request headers cannot include pseudo header \"" + f.name + "\"";
    }
    for (auto name : kForbidden) {
      if (equalsFold(f.name, name)) {
        return "promised request headers cannot include \"" + f.name + "\"";
      }
    }
  }
  return "";
}

bool validFieldName(std::string_view name) {
  static constexpr std::string_view kTokenExtra = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || kTokenExtra.find(c) != std::string_view::npos;
  });
}

bool validFieldValue(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

}  // namespace

bool pushRequestUri(std::string_view target, std::string& out) {
  if (hasControlByte(target)) {
    return false;  // "net/url: invalid control character in URL"
  }
  target = target.substr(0, target.find('#'));
  std::string_view path = target;
  std::string_view query;
  bool forceQuery = false;
  if (const size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
    forceQuery = query.empty();
  }
  std::string decoded;
  if (!unescapePath(path, decoded)) {
    return false;  // "invalid URL escape"
  }
  if (!path.empty() && validEncodedPath(path)) {
    out.assign(path);
  } else {
    out = escapePath(decoded);
  }
  if (out.empty()) {
    out = "/";
  }
  if (forceQuery || !query.empty()) {
    out += '?';
    out.append(query);
  }
  return true;
}

std::string buildPushPromise(const PushPromiseInput& in, PushFields& out) {
  out.clear();
  const std::string_view method = in.method.empty() ? std::string_view("GET") : in.method;
  std::string_view target = in.target;
  bool badScheme = false;
  const std::string scheme = schemeOf(target.substr(0, target.find('#')), badScheme);
  if (badScheme) {
    return "missing protocol scheme";
  }
  std::string authority(in.authority);
  std::string_view rest = target;
  if (scheme.empty()) {
    if (!target.starts_with('/')) {
      return "target must be an absolute URL or an absolute path: \"" + std::string(target) + "\"";
    }
    // url.Parse reads "//host/path" as a host and a path; Push then replaces the host.
    if (rest.starts_with("//")) {
      rest.remove_prefix(2);
      const size_t end = rest.find_first_of("/?#");
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
  } else {
    if (scheme != in.scheme) {
      return "cannot push URL with scheme \"" + scheme + "\" from request with scheme \"" +
             std::string(in.scheme) + "\"";
    }
    rest.remove_prefix(scheme.size() + 1);
    if (!rest.starts_with("//")) {
      return "URL must have a host";
    }
    rest.remove_prefix(2);
    const size_t end = rest.find_first_of("/?#");
    std::string_view hostPart = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (const size_t at = hostPart.rfind('@'); at != std::string_view::npos) {
      hostPart.remove_prefix(at + 1);
    }
    if (hostPart.empty()) {
      return "URL must have a host";
    }
    authority.assign(hostPart);
  }
  if (in.headers != nullptr) {
    if (std::string err = forbiddenField(*in.headers); !err.empty()) {
      return err;
    }
  }
  if (method != "GET" && method != "HEAD") {
    return "method \"" + std::string(method) + "\" must be GET or HEAD";
  }
  std::string uri;
  if (!pushRequestUri(rest, uri)) {
    return "invalid URL \"" + std::string(target) + "\"";
  }
  out.emplace_back(":method", method);
  out.emplace_back(":scheme", in.scheme);
  out.emplace_back(":authority", std::move(authority));
  out.emplace_back(":path", std::move(uri));
  if (in.headers == nullptr) {
    return "";
  }
  // Go encodes an http.Header sorted by (canonical) name, values in order, lower-cased,
  // skipping names and values that cannot go on the wire.
  std::vector<const runtime::HeaderField*> fields;
  for (const auto& f : *in.headers) {
    fields.push_back(&f);
  }
  std::stable_sort(fields.begin(), fields.end(), [](const auto* a, const auto* b) {
    return runtime::canonicalHeaderName(a->name) < runtime::canonicalHeaderName(b->name);
  });
  for (const auto* f : fields) {
    if (!validFieldName(f->name) || !validFieldValue(f->value)) {
      continue;
    }
    std::string name = f->name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char x) { return static_cast<char>(std::tolower(x)); });
    out.emplace_back(std::move(name), f->value);
  }
  return "";
}

}  // namespace gatehouse::http
