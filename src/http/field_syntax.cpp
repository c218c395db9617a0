#include "http/field_syntax.h"

namespace gatehouse::http {

bool isTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool validFieldName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    if (!isTokenChar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool validFieldValue(std::string_view value) {
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool validHostHeader(std::string_view host) {
  static constexpr std::string_view kPunct = "!$%&'()*+,-.:;=[]_~";
  for (char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && kPunct.find(ch) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace gatehouse::http
