#pragma once
// The parts of the site graph's JSON that are not routes, for printing a config piece by
// piece (site_graph_writer.cpp): the routes of thousands of sites are written straight from
// the graph, and only these small skeletons are built as JSON trees, with null where the
// routes go.

#include "gatehouse/config/site_graph.h"

namespace gatehouse::config {

// toJson(config), but every server under apps.http.servers is null.
Json configSkeleton(const Config& config);
// A server's JSON, but "routes", "errors" and "named_routes" (when present) are null.
Json serverSkeleton(const Server& server);

}  // namespace gatehouse::config
