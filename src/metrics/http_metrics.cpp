#include "metrics/http_metrics.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

namespace gatehouse::metrics {

namespace {

constexpr std::array<std::string_view, 9> kMethods = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                      "CONNECT", "OPTIONS", "TRACE", "PATCH"};

// Caddy upper-cases the method before sorting it into a label: "get" counts as GET.
uint16_t methodIndex(std::string_view method) {
  for (size_t i = 0; i < kMethods.size(); ++i) {
    if (runtime::equalsIgnoreCase(method, kMethods[i])) {
      return static_cast<uint16_t>(i);
    }
  }
  return static_cast<uint16_t>(kMethods.size());  // "OTHER"
}

// One owner thread writes; relaxed load+store avoids a locked instruction.
template <typename T>
void bump(std::atomic<T>& a, T by) {
  a.store(a.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// Caddy's computeApproximateRequestSize: the lengths of the URL, method, protocol, each
// header name (once per distinct name, as Go's map holds it) and value, the Host, and the
// declared body length. Go's header map has neither Host nor Transfer-Encoding.
double approximateRequestSize(const runtime::Request& req) {
  // (r.Proto is 8 bytes for "HTTP/1.0", "HTTP/1.1" and "HTTP/2.0" alike.)
  size_t n = req.uri().size() + req.method.size() + 8 + req.host.size();
  const auto& fields = req.headers;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const std::string_view name = it->name;
    if (runtime::equalsIgnoreCase(name, "Host") || runtime::equalsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    n += it->value.size();
    const bool repeated = std::any_of(fields.begin(), it, [&](const auto& earlier) {
      return runtime::equalsIgnoreCase(earlier.name, name);
    });
    if (!repeated) {
      n += name.size();
    }
  }
  if (req.bodyLength != runtime::Request::kChunked) {
    n += req.bodyLength;
  }
  return static_cast<double>(n);
}

uint64_t randomInstance() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

template <size_t N>
void Histogram<N>::observe(double v, const std::array<double, N>& bounds) {
  size_t i = 0;
  while (i < N && v > bounds[i]) {
    ++i;
  }
  if (i < N) {
    bump(buckets[i], uint64_t{1});
  }
  bump(count, uint64_t{1});
  bump(sum, v);
}

struct HandlerCounters {
  std::atomic<uint64_t> started{0};  // its series exist from the first start (even if aborted)
  std::atomic<int64_t> inFlight{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
};

struct Series {
  Histogram<kDurationBuckets.size()> duration;
  Histogram<kDurationBuckets.size()> firstByte;  // caddy_http_response_duration_seconds
  Histogram<kSizeBuckets.size()> requestSize;
  Histogram<kSizeBuckets.size()> responseSize;
};

// Series key: handler id, method index, status code.
uint64_t seriesKey(uint32_t handler, uint16_t method, int code) {
  return (static_cast<uint64_t>(handler) << 32) | (static_cast<uint64_t>(method) << 16) |
         static_cast<uint64_t>(code & 0xffff);
}

struct HttpMetrics::Shard {
  explicit Shard(size_t handlers) : counters(std::make_unique<HandlerCounters[]>(handlers)), size(handlers) {}
  std::unique_ptr<HandlerCounters[]> counters;
  size_t size;
  // The owner inserts under the lock (rare: a new series) and reads without it, since only
  // it changes the map; the scraper reads under the lock.
  std::mutex insertMu;
  std::unordered_map<uint64_t, Series> series;
};

HttpMetrics::HttpMetrics() : instance_(randomInstance()) {}
HttpMetrics::~HttpMetrics() = default;

uint32_t HttpMetrics::registerHandler(const std::string& server, const std::string& handler) {
  for (size_t i = 0; i < handlers_.size(); ++i) {
    if (handlers_[i].server == server && handlers_[i].handler == handler) {
      return static_cast<uint32_t>(i);
    }
  }
  handlers_.push_back(Labels{server, handler});
  return static_cast<uint32_t>(handlers_.size() - 1);
}

HttpMetrics::Shard& HttpMetrics::localShard() {
  // Each worker thread finds its shard here; the lock is taken once per thread.
  thread_local std::vector<std::pair<uint64_t, Shard*>> cache;
  for (const auto& [instance, shard] : cache) {
    if (instance == instance_) {
      return *shard;
    }
  }
  std::lock_guard lock(shardsMu_);
  shards_.push_back(std::make_unique<Shard>(handlers_.size()));
  cache.emplace_back(instance_, shards_.back().get());
  return *shards_.back();
}

void HttpMetrics::handlerStarted(runtime::Exchange& ex, uint32_t id) {
  Shard& s = localShard();
  if (id < s.size) {
    bump(s.counters[id].inFlight, int64_t{1});
    bump(s.counters[id].started, uint64_t{1});
    ex.handlerTrace.push_back(id);
  }
}

void HttpMetrics::exchangeFinished(const runtime::Exchange& ex) {
  if (ex.handlerTrace.empty()) {
    return;
  }
  Shard& s = localShard();
  const auto& req = ex.request;
  const int code = sanitizeCode(ex.error.status != 0 ? ex.error.status : ex.response.status);
  const uint16_t method = methodIndex(req.method);
  const double duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - req.start).count();
  const double requestSize = approximateRequestSize(req);
  const auto responseSize = static_cast<double>(ex.response.bytesWritten);
  // Caddy observes the time to the head in each handler's recorder as the head passes
  // through it: every counted handler is still on the stack then. An empty 200 (no head
  // from a handler) and error answers (written past the recorders) have none.
  const bool headWritten = ex.response.headAt != std::chrono::steady_clock::time_point{};
  const double firstByte = std::chrono::duration<double>(ex.response.headAt - req.start).count();
  for (uint32_t id : ex.handlerTrace) {
    if (id >= s.size) {
      continue;
    }
    HandlerCounters& c = s.counters[id];
    bump(c.inFlight, int64_t{-1});
    if (ex.response.abort) {
      continue;  // Caddy's abort panics through the handlers: nothing but in-flight is counted
    }
    bump(c.requests, uint64_t{1});
    if (ex.error.status != 0) {
      // The error passed back through every handler that ran; Caddy then returns before
      // observing any histogram.
      bump(c.errors, uint64_t{1});
      continue;
    }
    const uint64_t key = seriesKey(id, method, code);
    auto it = s.series.find(key);
    if (it == s.series.end()) {
      std::lock_guard lock(s.insertMu);
      it = s.series.try_emplace(key).first;
    }
    it->second.duration.observe(duration, kDurationBuckets);
    it->second.requestSize.observe(requestSize, kSizeBuckets);
    it->second.responseSize.observe(responseSize, kSizeBuckets);
    if (headWritten) {
      it->second.firstByte.observe(firstByte, kDurationBuckets);
    }
  }
}

std::string formatFloat(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  // Shortest round-trip digits; Go's 'g' then picks %e when the decimal exponent is below
  // -4 or at least 6 (its precision for shortest output), else plain decimals.
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  if (ec != std::errc()) {
    return "0";
  }
  const std::string sci(buf.data(), end);  // "-d.ddde+XX"
  const size_t e = sci.find('e');
  const int exp = std::stoi(sci.substr(e + 1));
  if (exp >= -4 && exp < 6) {
    auto [fend, fec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
    return fec == std::errc() ? std::string(buf.data(), fend) : "0";
  }
  std::string out = sci.substr(0, e);
  out += exp < 0 ? "e-" : "e+";
  const std::string digits = std::to_string(std::abs(exp));
  if (digits.size() < 2) {
    out += '0';
  }
  return out + digits;
}

std::string_view sanitizeMethod(std::string_view method) {
  uint16_t i = methodIndex(method);
  return i < kMethods.size() ? kMethods[i] : std::string_view("OTHER");
}

int sanitizeCode(int status) {
  return status == 0 ? 200 : status;
}

namespace {

struct SeriesSum {
  std::array<uint64_t, kDurationBuckets.size()> duration{};
  double durationSum = 0;
  uint64_t count = 0;
  std::array<uint64_t, kDurationBuckets.size()> firstByte{};
  double firstByteSum = 0;
  uint64_t firstByteCount = 0;
  std::array<uint64_t, kSizeBuckets.size()> reqSize{};
  double reqSizeSum = 0;
  std::array<uint64_t, kSizeBuckets.size()> respSize{};
  double respSizeSum = 0;
};

std::string labelPairs(const std::vector<std::pair<std::string_view, std::string>>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "" : ",";
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  return out;
}

// One sample line: name{labels[,le="bound"]} value. Appends piecewise: GCC 12 warns
// (falsely) about chains of std::string operator+ here.
void sample(std::string& out, std::string_view name, std::string_view suffix, std::string_view labels,
            std::string_view le, std::string_view value) {
  out.append(name).append(suffix).append("{").append(labels);
  if (!le.empty()) {
    out.append(",le=\"").append(le).append("\"");
  }
  out.append("} ").append(value).append("\n");
}

template <size_t N>
void writeHistogram(std::string& out, std::string_view name, const std::string& labels,
                    const std::array<uint64_t, N>& buckets, const std::array<double, N>& bounds, double sum,
                    uint64_t count) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += buckets[i];
    sample(out, name, "_bucket", labels, formatFloat(bounds[i]), std::to_string(cumulative));
  }
  sample(out, name, "_bucket", labels, "+Inf", std::to_string(count));
  sample(out, name, "_sum", labels, {}, formatFloat(sum));
  sample(out, name, "_count", labels, {}, std::to_string(count));
}

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

std::string HttpMetrics::exposition() const {
  struct PerHandler {
    int64_t inFlight = 0;
    uint64_t requests = 0;
    uint64_t errors = 0;
    bool seen = false;
  };
  std::vector<PerHandler> perHandler(handlers_.size());
  std::map<std::string, SeriesSum> series;  // sorted label text -> sums
  {
    std::lock_guard lock(shardsMu_);
    for (const auto& shard : shards_) {
      for (size_t i = 0; i < shard->size && i < perHandler.size(); ++i) {
        const auto& c = shard->counters[i];
        perHandler[i].inFlight += c.inFlight.load(std::memory_order_relaxed);
        perHandler[i].requests += c.requests.load(std::memory_order_relaxed);
        perHandler[i].errors += c.errors.load(std::memory_order_relaxed);
        perHandler[i].seen = perHandler[i].seen || c.started.load(std::memory_order_relaxed) > 0;
      }
      std::lock_guard insert(shard->insertMu);
      for (const auto& [key, s] : shard->series) {
        const auto id = static_cast<uint32_t>(key >> 32);
        const auto method = static_cast<uint16_t>((key >> 16) & 0xffff);
        const int code = static_cast<int>(key & 0xffff);
        if (id >= handlers_.size()) {
          continue;
        }
        // Labels sorted by name, as client_golang prints them.
        std::string labels =
            labelPairs({{"code", std::to_string(code)},
                        {"handler", handlers_[id].handler},
                        {"method", std::string(method < kMethods.size() ? kMethods[method] : "OTHER")},
                        {"server", handlers_[id].server}});
        SeriesSum& sum = series[labels];
        for (size_t b = 0; b < kDurationBuckets.size(); ++b) {
          sum.duration[b] += s.duration.buckets[b].load(std::memory_order_relaxed);
          sum.firstByte[b] += s.firstByte.buckets[b].load(std::memory_order_relaxed);
        }
        sum.firstByteCount += s.firstByte.count.load(std::memory_order_relaxed);
        sum.firstByteSum += s.firstByte.sum.load(std::memory_order_relaxed);
        for (size_t b = 0; b < kSizeBuckets.size(); ++b) {
          sum.reqSize[b] += s.requestSize.buckets[b].load(std::memory_order_relaxed);
          sum.respSize[b] += s.responseSize.buckets[b].load(std::memory_order_relaxed);
        }
        sum.count += s.duration.count.load(std::memory_order_relaxed);
        sum.durationSum += s.duration.sum.load(std::memory_order_relaxed);
        sum.reqSizeSum += s.requestSize.sum.load(std::memory_order_relaxed);
        sum.respSizeSum += s.responseSize.sum.load(std::memory_order_relaxed);
      }
    }
  }
  std::map<std::string, size_t> handlerOrder;  // sorted label text -> handler id
  for (size_t i = 0; i < handlers_.size(); ++i) {
    if (perHandler[i].seen) {
      handlerOrder[labelPairs({{"handler", handlers_[i].handler}, {"server", handlers_[i].server}})] = i;
    }
  }
  std::string out;
  // A series exists once its vector's With() ran in Caddy: in-flight from the first start,
  // the request counter from the first finish, the error counter from the first error.
  auto counterFamily = [&](std::string_view name, std::string_view help, std::string_view type, auto value,
                           auto present) {
    bool any = false;
    for (const auto& [labels, i] : handlerOrder) {
      if (!present(perHandler[i])) {
        continue;
      }
      if (!any) {
        header(out, name, help, type);
        any = true;
      }
      sample(out, name, "", labels, {}, formatFloat(static_cast<double>(value(perHandler[i]))));
    }
  };
  auto histogramFamily = [&](std::string_view name, std::string_view help, auto write, auto present) {
    bool any = false;
    for (const auto& [labels, sum] : series) {
      if (!present(sum)) {
        continue;
      }
      if (!any) {
        header(out, name, help, "histogram");
        any = true;
      }
      write(labels, sum);
    }
  };
  auto observed = [](const SeriesSum& s) { return s.count > 0; };
  // Families in name order.
  histogramFamily(
      "caddy_http_request_duration_seconds", "Histogram of round-trip request durations.",
      [&](const std::string& l, const SeriesSum& s) {
        writeHistogram(out, "caddy_http_request_duration_seconds", l, s.duration, kDurationBuckets,
                       s.durationSum, s.count);
      },
      observed);
  counterFamily(
      "caddy_http_request_errors_total", "Number of requests resulting in middleware errors.", "counter",
      [](const PerHandler& p) { return p.errors; }, [](const PerHandler& p) { return p.errors > 0; });
  histogramFamily(
      "caddy_http_request_size_bytes", "Total size of the request. Includes body",
      [&](const std::string& l, const SeriesSum& s) {
        writeHistogram(out, "caddy_http_request_size_bytes", l, s.reqSize, kSizeBuckets, s.reqSizeSum,
                       s.count);
      },
      observed);
  counterFamily(
      "caddy_http_requests_in_flight", "Number of requests currently handled by this server.", "gauge",
      [](const PerHandler& p) { return p.inFlight; }, [](const PerHandler&) { return true; });
  counterFamily(
      "caddy_http_requests_total", "Counter of HTTP(S) requests made.", "counter",
      [](const PerHandler& p) { return p.requests; }, [](const PerHandler& p) { return p.requests > 0; });
  histogramFamily(
      "caddy_http_response_duration_seconds", "Histogram of times to first byte in response bodies.",
      [&](const std::string& l, const SeriesSum& s) {
        writeHistogram(out, "caddy_http_response_duration_seconds", l, s.firstByte, kDurationBuckets,
                       s.firstByteSum, s.firstByteCount);
      },
      [](const SeriesSum& s) { return s.firstByteCount > 0; });
  histogramFamily(
      "caddy_http_response_size_bytes", "Size of the returned response.",
      [&](const std::string& l, const SeriesSum& s) {
        writeHistogram(out, "caddy_http_response_size_bytes", l, s.respSize, kSizeBuckets, s.respSizeSum,
                       s.count);
      },
      observed);
  return out;
}

}  // namespace gatehouse::metrics
