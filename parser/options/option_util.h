#pragma once
// Small helpers shared by the global option parsers, the tls directive and the TLS/PKI app
// builders: Caddy's duration syntax and a few argument-reading shortcuts.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/dispenser.h"

namespace gatehouse::parser::options {

using config::Json;

// Parses a duration the way caddy.ParseDuration does: Go's time.ParseDuration plus a "d"
// (day) unit. Returns nanoseconds, or nullopt with `error` set to Go's wording
// (`time: invalid duration "x"`).
std::optional<int64_t> parseDuration(const std::string& text, std::string* error = nullptr);

// The duration at the current token, or a ConfigError positioned there. `what` prefixes the
// error when non-empty (e.g. "invalid propagation_delay duration 5x: ...").
int64_t durationArg(const Dispenser& d, const std::string& text, const std::string& what = "");

// Reads exactly one more argument on the line and returns it (argErr otherwise).
std::string oneArg(Dispenser& d);
// Reads exactly one argument and requires the line to end after it.
std::string onlyArg(Dispenser& d);

// Parses an integer as Go's strconv.Atoi does; nullopt on failure.
std::optional<long long> parseInt(const std::string& text);
// Parses a float as Go's strconv.ParseFloat(s, 64) does (decimal forms); nullopt on failure.
std::optional<double> parseFloat(const std::string& text);

// Parses a size with units ("100MB", "1GiB") as humanize.ParseBytes does; nullopt on failure,
// with `error` (when given) set to its wording.
std::optional<uint64_t> parseBytes(const std::string& text, std::string* error = nullptr);

// Appends `value` to the array `arr` (creating it) unless already present.
void appendUnique(Json& arr, const std::string& value);

}  // namespace gatehouse::parser::options
