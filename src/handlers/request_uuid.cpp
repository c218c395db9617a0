#include "handlers/request_uuid.h"

#include <array>
#include <cstdint>
#include <random>

namespace gatehouse::handlers {

std::string newUuid() {
  std::random_device rd;
  std::array<uint8_t, 16> b{};
  for (auto& byte : b) {
    byte = static_cast<uint8_t>(rd());
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0f];
  }
  return out;
}

namespace {
class RequestUuid final : public runtime::Handler {
 public:
  runtime::Outcome handle(runtime::Exchange& ex) const override {
    if (ex.var("uuid") == nullptr) {
      ex.setVar("uuid", newUuid());
    }
    return runtime::Outcome::Continue;
  }
};
}  // namespace

std::unique_ptr<runtime::Handler> makeRequestUuid() {
  return std::make_unique<RequestUuid>();
}

}  // namespace gatehouse::handlers
