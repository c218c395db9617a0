#include "header_name.h"

#include <string_view>

namespace gatehouse::parser {
namespace {

bool isTokenByte(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  static constexpr std::string_view kPunct = "!#$%&'*+-.^_`|~";
  return kPunct.find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

std::string canonicalHeaderKey(const std::string& key) {
  for (unsigned char c : key) {
    if (!isTokenByte(c)) {
      return key;
    }
  }
  std::string out = key;
  bool upper = true;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    } else if (!upper && c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    upper = c == '-';
  }
  return out;
}

}  // namespace gatehouse::parser
