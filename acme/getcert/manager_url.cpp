#include "getcert/manager_url.h"

#include <cstdio>
#include <map>
#include <vector>

#include "http/uri.h"

namespace gatehouse::acme {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape; false on a bad escape (Go then drops the pair).
bool queryUnescape(const std::string& s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      const int hi = i + 1 < s.size() ? hexValue(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return true;
}

// Go's url.ParseQuery, keeping what it keeps: pairs split on '&', a pair with ';' or a bad
// escape dropped, values in order under their key.
void parseQuery(const std::string& raw, std::map<std::string, std::vector<std::string>>& into) {
  size_t at = 0;
  while (at <= raw.size()) {
    size_t end = raw.find('&', at);
    if (end == std::string::npos)
      end = raw.size();
    const std::string pair = raw.substr(at, end - at);
    at = end + 1;
    if (pair.empty() || pair.find(';') != std::string::npos)
      continue;
    const size_t eq = pair.find('=');
    std::string key;
    std::string value;
    if (!queryUnescape(pair.substr(0, eq), key))
      continue;
    if (eq != std::string::npos && !queryUnescape(pair.substr(eq + 1), value))
      continue;
    into[key].push_back(value);
  }
}

std::string hexList(const std::vector<uint16_t>& ids) {
  std::string out;
  char buf[8];
  for (size_t i = 0; i < ids.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%x", static_cast<unsigned>(ids[i]));  // Go's %x: lower-case, no padding
    out += (i == 0 ? "" : ",");
    out += buf;
  }
  return out;
}

}  // namespace

std::string managerUrl(const std::string& configured, const tls::ManagerQuery& query) {
  std::string base = configured;
  std::string fragment;
  if (const size_t hash = base.find('#'); hash != std::string::npos) {
    fragment = base.substr(hash);
    base.resize(hash);
  }
  std::map<std::string, std::vector<std::string>> values;  // sorted by key, as Go encodes
  if (const size_t q = base.find('?'); q != std::string::npos) {
    parseQuery(base.substr(q + 1), values);
    base.resize(q);
  }
  values["server_name"] = {query.serverName};
  values["signature_schemes"] = {hexList(query.signatureSchemes)};
  values["cipher_suites"] = {hexList(query.cipherSuites)};
  std::string encoded;
  for (const auto& [key, list] : values) {
    for (const auto& v : list) {
      encoded += (encoded.empty() ? "" : "&") + http::queryEscape(key) + "=" + http::queryEscape(v);
    }
  }
  return base + "?" + encoded + fragment;
}

std::string redactedUrl(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  const size_t scheme = out.find("://");
  const size_t hostStart = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t pathStart = out.find('/', hostStart);
  const size_t at = out.rfind('@', pathStart == std::string::npos ? std::string::npos : pathStart);
  if (at != std::string::npos && at >= hostStart) {
    out.erase(hostStart, at + 1 - hostStart);
  }
  return out;
}

}  // namespace gatehouse::acme
