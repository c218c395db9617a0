#pragma once
// Which endpoint answers a path, as caddy 2.6.2's admin mux routes it (Go's ServeMux: a
// missing trailing slash is redirected, an unknown path is "404 page not found").

#include "admin/api_types.h"

namespace gatehouse::admin {

class AdminServer;
class ConfigChanger;
class ConfigSink;

// Runs on a pool thread.
ApiResponse routeRequest(ApiRequest& req, AdminServer& server);

// The endpoints, one family per file.
ApiResponse handleConfig(const ApiRequest& req, ConfigChanger& changer);  // config_endpoint.cpp
ApiResponse handleConfigId(ApiRequest& req, AdminServer& server);         // config_endpoint.cpp
ApiResponse handleLoad(const ApiRequest& req, ConfigChanger& changer);    // load_endpoint.cpp
ApiResponse handleAdapt(const ApiRequest& req);                           // load_endpoint.cpp
ApiResponse handleStop(const ApiRequest& req, ConfigSink& sink);          // stop_endpoint.cpp
ApiResponse handleMetrics(const ApiRequest& req, AdminServer& server);    // metrics_endpoint.cpp
ApiResponse handlePki(const ApiRequest& req, ConfigSink& sink);           // pki_endpoint.cpp
ApiResponse handleUpstreams(const ApiRequest& req, ConfigSink& sink);     // upstreams_endpoint.cpp

}  // namespace gatehouse::admin
