#pragma once
// What may stand in an HTTP field, as Go's httpguts decides it. Every protocol session (and
// the proxy, before it forwards a field) applies the same rules, so a field one side accepts
// can never be one the other side reads differently.

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

// RFC 9110 tchar: the bytes of a token (a field name, a method).
bool isTokenChar(unsigned char c);
// Go's httpguts.ValidHeaderFieldName: a non-empty token.
bool validFieldName(std::string_view name);
// Go's httpguts.ValidHeaderFieldValue: no control byte other than HTAB.
bool validFieldValue(std::string_view value);
// A token byte in lowercase ('A' -> 'a', '-' -> '-'), or 0 for a byte no token may hold:
// lowercasing and checking a field name in one pass.
char lowerTokenChar(unsigned char c);
// Go's textproto.CanonicalMIMEHeaderKey in place ("content-type" -> "Content-Type"), in one
// pass with the token check of validFieldName: false for a name that is no token (its
// letters may then be recased in part; Go leaves it alone, so callers drop such a name).
bool canonicalFieldName(std::string& name);
// Go's httpguts.ValidHostHeader: letters, digits and "!$%&'()*+,-.:;=[]_~" only (empty is valid).
bool validHostHeader(std::string_view host);

// Go's textproto.TrimString: the value without its leading and trailing blanks (SP, HTAB).
inline std::string_view trimBlanks(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

// A Content-Length a handler set, read as Go's server takes it (strconv.ParseInt >= 0,
// without a sign, which a client could not read back): 1-18 decimal digits.
inline bool parseContentLength(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 18) {
    return false;
  }
  uint64_t n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') {
      return false;
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  out = n;
  return true;
}

// Calls fn(item) for each non-empty item of a comma-separated field value ("a, b,,c"), its
// surrounding blanks (SP, HTAB) trimmed; stops early when fn returns false.
template <class Fn>
void forEachListItem(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = trimBlanks(list.substr(0, comma));
    if (!item.empty() && !fn(item)) {
      return;
    }
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
}

}  // namespace gatehouse::http
