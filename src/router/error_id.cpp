#include "router/error_id.h"

#include <random>
#include <string_view>

namespace gatehouse::router {

std::string newErrorId() {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string id(9, ' ');
  for (char& c : id) {
    c = kAlphabet[rd() % kAlphabet.size()];
  }
  return id;
}

}  // namespace gatehouse::router
