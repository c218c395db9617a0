// GET /reverse_proxy/upstreams: every upstream a running config names, with its requests in
// flight and its failures still counted, as caddy 2.6.2 lists them (its order is a Go map's;
// ours is sorted by address).

#include "admin/admin_server.h"
#include "admin/api_router.h"
#include "proxy/upstream_stats.h"

namespace gatehouse::admin {

ApiResponse handleUpstreams(const ApiRequest& req, ConfigSink& sink) {
  if (req.method != "GET") {
    return errorResponse(405, "method not allowed");
  }
  Json rows = Json::array();
  if (auto stats = sink.upstreamStats()) {
    for (const auto& row : stats->live()) {
      Json r = Json::object();
      r["address"] = row.address;
      r["num_requests"] = row.requests;
      r["fails"] = row.fails;
      rows.push_back(std::move(r));
    }
  }
  ApiResponse r;
  r.contentType = "application/json";
  r.body = config::dump(rows, false) + "\n";
  return r;
}

}  // namespace gatehouse::admin
