#pragma once
// What may stand in an HTTP field, as Go's httpguts decides it. Every protocol session (and
// the proxy, before it forwards a field) applies the same rules, so a field one side accepts
// can never be one the other side reads differently.

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
// Go's httpguts.ValidHostHeader: letters, digits and "!$%&'()*+,-.:;=[]_~" only (empty is valid).
bool validHostHeader(std::string_view host);

}  // namespace gatehouse::http
