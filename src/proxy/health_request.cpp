#include "proxy/health_request.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "http/http1_request_rules.h"
#include "proxy/h2_request_fields.h"

namespace gatehouse::proxy {

namespace {

constexpr std::string_view kGoClientAgent = "Go-http-client/1.1";
constexpr std::string_view kGoH2ClientAgent = "Go-http-client/2.0";

// The first value under exactly `name` (Go's map lookup of a canonical key).
std::optional<std::string_view> exactFirst(const runtime::HeaderList& h, std::string_view name) {
  for (const auto& f : h) {
    if (f.name == name) {
      return std::string_view(f.value);
    }
  }
  return std::nullopt;
}

// Fields Go's Request.Write writes itself or never from the header map.
bool writtenApart(std::string_view name) {
  return runtime::equalsIgnoreCase(name, "Host") || name == "User-Agent" || name == "Content-Length" ||
         name == "Transfer-Encoding" || name == "Trailer";
}

bool asksGzip(const HealthRequest& request, const runtime::HeaderList& headers, bool compression) {
  return compression && request.method != "HEAD" &&
         exactFirst(headers, "Accept-Encoding").value_or("").empty() &&
         exactFirst(headers, "Range").value_or("").empty();
}

struct Field {
  std::string_view name;
  std::string_view value;
};

}  // namespace

HealthWire healthRequestWire(const HealthRequest& request, const runtime::HeaderList& headers,
                             std::string_view body, bool compression, bool closeAfter) {
  HealthWire w;
  std::string& out = w.bytes;
  out = request.method + " " + request.target + " HTTP/1.1\r\n";
  const std::string_view host = request.customHost ? headers.get("Host") : std::string_view(request.host);
  out.append("Host: ").append(host).append("\r\n");
  const std::string_view agent = exactFirst(headers, "User-Agent").value_or(kGoClientAgent);
  if (!agent.empty()) {
    out.append("User-Agent: ").append(agent).append("\r\n");
  }
  const bool withBody = request.withBody && !body.empty();
  if (withBody) {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  std::vector<Field> fields;
  const bool referer = !request.referer.empty();  // Go's Header.Set: it replaces a configured one
  for (const auto& f : headers) {
    if (!writtenApart(f.name) && !(referer && f.name == "Referer")) {
      fields.push_back({f.name, f.value});
    }
  }
  if (referer) {
    fields.push_back({"Referer", request.referer});
  }
  std::stable_sort(fields.begin(), fields.end(),
                   [](const Field& x, const Field& y) { return x.name < y.name; });
  for (const auto& f : fields) {
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  w.askedGzip = asksGzip(request, headers, compression);
  if (w.askedGzip) {
    out.append("Accept-Encoding: gzip\r\n");
  }
  if (closeAfter && !http::connectionHasToken(headers, "close")) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
  if (withBody) {
    out.append(body);
  }
  return w;
}

HealthH2Head healthRequestH2(const HealthRequest& request, const runtime::HeaderList& headers,
                             std::string_view body, bool compression, bool tls) {
  HealthH2Head h;
  H2RequestHead& head = h.head;
  head.method = request.method;
  head.scheme = tls ? "https" : "http";
  head.authority = request.customHost ? std::string(headers.get("Host")) : request.host;
  head.path = request.target;
  const std::string_view agent = exactFirst(headers, "User-Agent").value_or(kGoH2ClientAgent);
  if (!agent.empty()) {
    head.fields.emplaceBack("user-agent", std::string(agent));
  }
  runtime::HeaderList rest;
  const bool referer = !request.referer.empty();
  for (const auto& f : headers) {
    if (f.name != "User-Agent" && !(referer && f.name == "Referer")) {
      rest.emplaceBack(f.name, f.value);
    }
  }
  if (referer) {
    rest.emplaceBack("Referer", request.referer);
  }
  appendH2Fields(rest, head.fields);
  const bool withBody = request.withBody && !body.empty();
  if (withBody) {
    head.fields.emplaceBack("content-length", std::to_string(body.size()));
    h.body.assign(body);
  }
  head.body = withBody;
  h.askedGzip = asksGzip(request, headers, compression);
  if (h.askedGzip) {
    head.fields.emplaceBack("accept-encoding", "gzip");
  }
  return h;
}

}  // namespace gatehouse::proxy
