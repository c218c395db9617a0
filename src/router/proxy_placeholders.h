#pragma once
// {http.reverse_proxy.*} placeholders formatted from the facts reverse_proxy recorded in
// the exchange (runtime::UpstreamFacts), as Caddy prints them.

#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

// `key` without the "http.reverse_proxy." prefix; false when the key is unknown or its
// value was not recorded (yet) for this exchange.
bool upstreamFactPlaceholder(std::string_view key, const runtime::UpstreamFacts& facts, std::string& out);

}  // namespace gatehouse::router
