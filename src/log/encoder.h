#pragma once
// Log encoders (Caddy's caddy.logging.encoders.*): turn an entry into one line of text.
// `json` and `console` as zap's production encoders with Caddy's defaults; `filter` runs
// field filters, then a wrapped encoder.

#include <memory>
#include <string>
#include <vector>

#include "log/encoder_options.h"
#include "log/field_filter.h"
#include "log/log_entry.h"

namespace gatehouse::log {

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Appends the entry and its line ending to `out`. Any thread: encoders keep no state.
  virtual void encode(LogEntry& entry, std::string& out) const = 0;
};

// {"level":"info","ts":1700000000.123,"logger":"...","msg":"...",<fields>}
class JsonEncoder final : public Encoder {
 public:
  explicit JsonEncoder(EncoderOptions options = {}) : options_(std::move(options)) {}
  void encode(LogEntry& entry, std::string& out) const override;

 private:
  EncoderOptions options_;
};

// 1700000000.123<TAB>info<TAB>logger<TAB>msg<TAB>{"field": <value>, ...}
class ConsoleEncoder final : public Encoder {
 public:
  explicit ConsoleEncoder(EncoderOptions options = {}) : options_(std::move(options)) {}
  void encode(LogEntry& entry, std::string& out) const override;

 private:
  EncoderOptions options_;
};

class FilterEncoder final : public Encoder {
 public:
  FilterEncoder(std::vector<FieldRule> rules, std::unique_ptr<Encoder> wrapped)
      : rules_(std::move(rules)), wrapped_(std::move(wrapped)) {}
  void encode(LogEntry& entry, std::string& out) const override;

 private:
  std::vector<FieldRule> rules_;
  std::unique_ptr<Encoder> wrapped_;
};

// Builds an encoder from Caddy's JSON ({"format": "json"|"console"|"filter", ...}); a null
// config gives `fallback`. Throws provision::ProvisionError naming `path`.
std::unique_ptr<Encoder> makeEncoder(const config::Json& cfg, const std::string& path, bool consoleFallback);

}  // namespace gatehouse::log
