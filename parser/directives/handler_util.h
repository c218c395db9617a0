#pragma once
// Small helpers shared by the HTTP handler directives (parser/directives/*.cpp of the handler
// family): Go's JSON shapes for weak strings and scalars, header-key canonicalisation, and the
// ways Caddy reads several arguments at once.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/dispenser.h"
#include "header_name.h"

namespace gatehouse::parser::handler_util {

using config::Json;

// Caddy's WeakString as JSON: true/false as booleans, integers as numbers, else a string.
Json weakString(const std::string& text);

// Caddy's Dispenser.ScalarVal for the current token: a quoted token stays a string;
// otherwise an integer, a float or a boolean when it parses as one (Go's strconv rules).
Json scalarVal(const Dispenser& d);

// Go's strconv.ParseBool.
std::optional<bool> parseBool(const std::string& text);

// A Go map[string][]string (http.Header) as JSON, keys in Go's sorted order.
Json headerJson(const std::map<std::string, std::vector<std::string>>& header);

// A Go map[string]T as JSON: `entries` in sorted key order.
Json sortedObject(const std::map<std::string, Json>& entries);

// Inserts key/value into the JSON object `obj` keeping its keys sorted (Go map order).
void putSorted(Json& obj, const std::string& key, Json value);

// Caddy's Dispenser.AllArgs with one target: true when exactly one argument remains on the line.
bool allArgs(Dispenser& d, std::string& out);

// For directives that take no block: caddy 2.6.2 reads them in a `for d.Next()` loop, so a
// block after the arguments is taken as another line of the directive and refused at its
// '{' ("unexpected token '{', expecting argument"). Call with the cursor on the last argument.
void refuseBlock(Dispenser& d);

// Caddy's Dispenser.Args with one target: reads the next argument when there is one.
bool args(Dispenser& d, std::string& out);

// Caddy's error for an unregistered module ID.
std::string moduleNotRegistered(const std::string& moduleId);

}  // namespace gatehouse::parser::handler_util
