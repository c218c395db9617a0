#pragma once
// XXH64 (seed 0), the hash current Caddy ranks upstreams with in its hash selection
// policies (hash(upstream dial + key), highest wins), so a key reaches the same upstream
// here as it does there.

#include <cstdint>
#include <string_view>

namespace gatehouse::proxy {

uint64_t xxhash64(std::string_view data);

}  // namespace gatehouse::proxy
