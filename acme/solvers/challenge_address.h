#pragma once
// Where a challenge listener of our own binds (certmagic's ListenHost and challenge port).

#include <cstdint>
#include <string>

namespace gatehouse::acme {

struct ChallengeAddress {
  std::string host;  // bind_host; "" = all addresses
  uint16_t port = 0;
  bool operator==(const ChallengeAddress&) const = default;
};

}  // namespace gatehouse::acme
