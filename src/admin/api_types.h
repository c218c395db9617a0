#pragma once
// What the admin endpoints exchange: one parsed request in, one response out. Endpoints are
// plain functions of these, run on the libuv thread pool (they may load a config), so the
// admin loop only parses and writes.

#include <functional>
#include <optional>
#include <string>

namespace gatehouse::admin {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  std::string contentType, ifMatch, cacheControl;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string contentType;  // "" with an empty body
  std::string body;
  std::string headers;  // extra "Name: value\r\n" lines
  // An API error's text (errorResponse), which caddy 2.6.2 logs as "request error".
  std::string apiError;
  // GET /config/: caddy 2.6.2 declares `Trailer: ETag` and sends the body chunked, with the
  // ETag as a trailer when the read succeeded.
  bool chunkedWithTrailer = false;
  std::string etagTrailer;
  std::function<void()> afterWrite;  // /stop: runs once the answer is out
};

// Caddy's APIError: {"error":"<message>"} with a status (Go's default: 500).
struct ApiError {
  int status = 500;
  std::string message;
};

ApiResponse errorResponse(const ApiError& e);
ApiResponse errorResponse(int status, const std::string& message);

}  // namespace gatehouse::admin
