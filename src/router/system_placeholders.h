#pragma once
// Placeholders about the process and the clock rather than the request: {system.*},
// {time.now} (Go's time.Time.String(), monotonic reading included, as caddy 2.6.2 prints
// it) and {http.request.duration} / {http.request.duration_ms}.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

// {system.hostname}, {system.slash}, {system.os}, {system.arch}, {system.wd} (key without
// "system."); false for any other key.
bool systemPlaceholder(std::string_view key, std::string& out);

// {env.NAME} (key without "env."): the variable's value, empty when unset; always known.
bool envPlaceholder(std::string_view name, std::string& out);

// {time.now}, {time.now.unix}, {time.now.unix_ms}, {time.now.year}, {time.now.common_log}
// (key without "time."); false for any other key.
bool timePlaceholder(std::string_view key, std::string& out);

// Time since the request head was complete: Go's Duration.String(), or with `ms` the
// milliseconds as Caddy prints a float64 (strconv 'f', shortest round-trip digits).
void requestDuration(const runtime::Exchange& ex, bool ms, std::string& out);

// Go's d.Seconds() * 1e3 printed as Caddy prints a float64 (strconv 'f', shortest digits):
// the *_ms placeholders of the request and of reverse_proxy.
[[nodiscard]] std::string goMilliseconds(int64_t nanos);

// time.Now().String() in the local zone: "2006-01-02 15:04:05.999999999 -0700 MST m=+1.5".
void appendGoTimeNow(std::string& out);
// The same for a moment of this process ({http.vars.start_time}, the request's start).
void appendGoTimeAt(std::string& out, std::chrono::steady_clock::time_point at);

}  // namespace gatehouse::router
