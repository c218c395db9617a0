#include "http/uri.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace gatehouse::http {

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Letters, digits and the bytes Go's shouldEscape(c, encodePath) is false for,
// validEncoded's extra set included; `extra` adds more. A table: every request path is
// checked byte by byte.
constexpr std::array<bool, 256> pathBytes(std::string_view extra) {
  std::array<bool, 256> set{};
  for (int c = 0; c < 256; ++c) {
    set[static_cast<size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (std::string_view more : {std::string_view("-._~$&+,/:;=@!'()*"), extra}) {
    for (char c : more) {
      set[static_cast<unsigned char>(c)] = true;
    }
  }
  return set;
}
constexpr std::array<bool, 256> kUnreservedPath = pathBytes("");
constexpr std::array<bool, 256> kValidEncodedPath = pathBytes("%[]");

bool unreservedPathChar(unsigned char c) {
  return kUnreservedPath[c];
}
// Go's validEncoded(s, encodePath): may a received path stay as it is (URL.RawPath)?
bool validEncodedPath(std::string_view raw) {
  return std::all_of(raw.begin(), raw.end(),
                     [](char c) { return kValidEncodedPath[static_cast<unsigned char>(c)]; });
}

// %XX for every byte `keep` refuses (upper-case hex, as Go).
template <typename Keep>
std::string percentEscape(std::string_view path, Keep keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (keep(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}
}  // namespace

std::string goEscapedPath(const std::string& path, const std::string& raw) {
  if (!raw.empty() && validEncodedPath(raw)) {
    if (auto decoded = percentDecode(raw); decoded && *decoded == path) {
      return raw;
    }
  }
  return goEscapePath(path);
}

std::optional<std::string> percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= in.size()) {
      return std::nullopt;
    }
    int hi = hexValue(in[i + 1]);
    int lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string escapePath(std::string_view path) {
  return percentEscape(path, unreservedPathChar);
}

std::string goEscapePath(std::string_view path) {
  return percentEscape(path, [](unsigned char c) {
    return unreservedPathChar(c) &&
           std::string_view("!'()*").find(static_cast<char>(c)) == std::string_view::npos;
  });
}

std::string cleanPath(std::string_view path) {
  if (path.empty()) {
    return "/";
  }
  const bool rooted = path.front() == '/';
  const bool trailing = path.size() > 1 && path.back() == '/';
  std::string out;
  out.reserve(path.size() + 1);
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    std::string_view seg = path.substr(i, j - i);
    i = j + 1;
    if (seg.empty() || seg == ".") {
      continue;
    }
    if (seg == "..") {
      size_t cut = out.rfind('/');
      if (cut != std::string::npos) {
        out.resize(cut);
      }
      continue;
    }
    out += '/';
    out += seg;
  }
  if (out.empty()) {
    out = "/";
  } else if (trailing) {
    out += '/';
  }
  if (!rooted && out.front() == '/') {
    out.erase(0, 1);
  }
  return out;
}

namespace {

// CONNECT's authority-form ("example.com:443"), read as Go does: as "http://" + target, so
// the authority becomes the request's host (any Host field is ignored) and the path stays
// empty unless the target goes on with one.
bool parseAuthorityTarget(std::string_view target, runtime::Request& req) {
  const size_t end = target.find_first_of("/?#");
  const std::string_view authority = target.substr(0, end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return false;
  }
  // Go's validOptionalPort: after the host (an IPv6 literal's ']'), ":" and digits only.
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.find(':', bracket == std::string_view::npos ? 0 : bracket);
  if (colon != std::string_view::npos &&
      authority.substr(colon + 1).find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  req.host.assign(authority);
  const std::string_view rest = end == std::string_view::npos ? std::string_view() : target.substr(end);
  if (rest.empty() || rest.front() == '#') {
    req.path.clear();
    req.rawPath.clear();
    return true;
  }
  std::string origin(rest.front() == '/' ? "" : "/");
  origin.append(rest);
  const std::string orig = req.origUri;
  const bool ok = parseTarget(origin, req);
  req.origUri = orig;
  return ok;
}

}  // namespace

bool parseTarget(std::string_view target, runtime::Request& req) {
  req.origUri.assign(target);
  if (!target.empty() && req.method == "CONNECT" && target.front() != '/') {
    return parseAuthorityTarget(target, req);  // "CONNECT *" too: Go reads "http://*"
  }
  if (target == "*") {
    req.path = "*";
    req.rawPath = "*";
    return true;
  }
  if (target.empty()) {
    return false;
  }
  if (target.front() != '/') {
    // absolute-form: scheme "://" authority [path-abempty] ["?" query]
    size_t colon = target.find("://");
    if (colon == std::string_view::npos) {
      return false;
    }
    std::string_view scheme = target.substr(0, colon);
    if (!runtime::equalsIgnoreCase(scheme, "http") && !runtime::equalsIgnoreCase(scheme, "https")) {
      return false;
    }
    std::string_view rest = target.substr(colon + 3);
    size_t end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    if (authority.find('@') != std::string_view::npos) {
      return false;
    }
    req.host.assign(authority);  // empty ("http:///x"): the Host field names it, as in Go
    target = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
  }
  size_t q = target.find('?');
  std::string_view rawPath = target.substr(0, q);
  if (q != std::string_view::npos) {
    req.hasQuery = true;
    // A '#' a client sent anyway stays in the query, as Go's url.ParseRequestURI keeps it
    // (caddy 2.6.2: {query} is "q=1#frag" and it goes upstream so).
    req.query.assign(target.substr(q + 1));
  }
  if (rawPath.empty()) {
    rawPath = "/";
  }
  if (rawPath.find('%') == std::string_view::npos) {
    req.path.assign(rawPath);  // nothing to decode (most paths): no copy made byte by byte
  } else {
    auto decoded = percentDecode(rawPath);
    if (!decoded) {
      return false;
    }
    req.path = std::move(*decoded);
  }
  // Go's URL.EscapedPath: a received path with bytes a path may not hold as they are ('#',
  // '"', a space, non-ASCII...) reads back escaped from the decoded path ({uri}, proxying).
  if (validEncodedPath(rawPath)) {
    req.rawPath.assign(rawPath);
  } else {
    req.rawPath = goEscapePath(req.path);
  }
  return true;
}

std::string_view hostWithoutPort(std::string_view hostport) {
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    return close == std::string_view::npos ? hostport : hostport.substr(1, close - 1);
  }
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(':') == colon) {
    return hostport.substr(0, colon);
  }
  return hostport;
}

std::string queryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string queryUnescape(std::string_view s) {
  std::string plus(s);
  std::replace(plus.begin(), plus.end(), '+', ' ');
  auto decoded = percentDecode(plus);
  return decoded ? *decoded : plus;
}

bool parseGoQuery(std::string_view query, QueryPairs& out) {
  auto decode = [](std::string_view s) {
    std::string plus(s);
    std::replace(plus.begin(), plus.end(), '+', ' ');
    return percentDecode(plus);
  };
  bool ok = true;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    if (pair.find(';') != std::string_view::npos) {
      ok = false;  // "invalid semicolon separator in query"
      continue;
    }
    const size_t eq = pair.find('=');
    auto key = decode(pair.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) {
      ok = false;
      continue;
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return ok;
}

}  // namespace gatehouse::http
