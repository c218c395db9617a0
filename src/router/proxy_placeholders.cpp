#include "router/proxy_placeholders.h"

#include "router/system_placeholders.h"

namespace gatehouse::router {

namespace {

// `whole`.`frac` with `digits` fractional digits, as printf's %.{digits}f would print the
// quotient it came from; with `trim`, trailing zeros (and a bare '.') go, as in Go.
void appendFixed(std::string& out, int64_t whole, int64_t frac, int digits, bool trim) {
  out += std::to_string(whole);
  char buf[8];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  int n = digits;
  while (trim && n > 0 && buf[n - 1] == '0') {
    --n;
  }
  if (n > 0) {
    out += '.';
    out.append(buf, static_cast<size_t>(n));
  }
}

// Go's time.Duration.String for a microsecond count ("812µs", "1.234ms", "2.5s").
std::string goDuration(int64_t us) {
  std::string out;
  if (us < 1000) {
    out = std::to_string(us);
    out += "µs";
  } else if (us < 1'000'000) {
    appendFixed(out, us / 1000, us % 1000, 3, true);
    out += "ms";
  } else {
    appendFixed(out, us / 1'000'000, us % 1'000'000, 6, true);
    out += 's';
  }
  return out;
}

// Caddy sets latency_ms/duration_ms to d.Seconds()*1e3, a float64 printed with the fewest
// digits ("0.523", never "0.523000").
std::string milliseconds(int64_t us) {
  return goMilliseconds(us * 1000);
}

bool upstreamValue(std::string_view key, const runtime::UpstreamFacts& f, std::string& out) {
  if (key == "address") {
    // Empty for tcp upstreams: their network address is "tcp/" + hostport.
    out = f.address.empty() ? "tcp/" + f.hostport : f.address;
  } else if (key == "hostport") {
    out = f.hostport;
  } else if (key == "host") {
    out = f.host;
  } else if (key == "port") {
    out = f.port;
  } else if (key == "requests") {
    out = std::to_string(f.requests);
  } else if (key == "max_requests") {
    out = std::to_string(f.maxRequests);
  } else if (key == "fails") {
    out = std::to_string(f.fails);
  } else {
    return false;
  }
  return true;
}

bool latencyValue(std::string_view key, const runtime::UpstreamFacts& f, std::string& out) {
  if (key == "latency") {
    out = goDuration(f.latencyUs);
  } else if (key == "latency_ms") {
    out = milliseconds(f.latencyUs);
  } else if (key == "duration") {
    out = goDuration(f.durationUs);
  } else if (key == "duration_ms") {
    out = milliseconds(f.durationUs);
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool upstreamFactPlaceholder(std::string_view key, const runtime::UpstreamFacts& facts, std::string& out) {
  if (!key.starts_with("upstream.")) {
    return false;
  }
  key.remove_prefix(9);
  return (facts.timed && latencyValue(key, facts, out)) || (facts.chosen && upstreamValue(key, facts, out));
}

}  // namespace gatehouse::router
