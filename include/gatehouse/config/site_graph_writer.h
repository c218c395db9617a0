#pragma once
// Printing a whole config without building its JSON tree first.

#include <string>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::config {

// The same text as dump(toJson(config), pretty), written without building the JSON tree
// (a copy of the whole graph; for large configs most of the memory and the time).
std::string dumpConfig(const Config& config, bool pretty);

}  // namespace gatehouse::config
