#include "log/encoder.h"

#include "log/json_text.h"
#include "provision/provision_error.h"

namespace gatehouse::log {

using config::Json;
using provision::ProvisionError;

namespace {

// Durations the entry marks are rewritten as the duration_format says (a filter may have
// replaced one with a string already: that stays).
void applyDurations(const EncoderOptions& options, LogEntry& entry) {
  if (options.duration == EncoderOptions::Duration::Seconds) {
    return;
  }
  for (const auto& key : entry.durations) {
    auto it = entry.fields.find(key);
    if (it != entry.fields.end() && it->is_number()) {
      *it = options.durationValue(it->get<double>());
    }
  }
}

}  // namespace

// zap's JSON encoder order: level, time, logger, message, then the fields.
void JsonEncoder::encode(LogEntry& entry, std::string& out) const {
  applyDurations(options_, entry);
  out += '{';
  bool first = true;
  auto key = [&](const std::string& k) {
    if (!first) {
      out += ',';
    }
    first = false;
    appendJsonString(out, k);
    out += ':';
  };
  std::string level;
  if (!options_.levelKey.empty() && options_.levelText(entry.level, level)) {
    key(options_.levelKey);
    appendJsonString(out, level);
  }
  if (!options_.timeKey.empty()) {
    key(options_.timeKey);
    options_.appendTime(out, entry.tsNs, true);
  }
  if (!entry.logger.empty() && !options_.nameKey.empty()) {
    key(options_.nameKey);
    appendJsonString(out, entry.logger);
  }
  if (!options_.messageKey.empty()) {
    key(options_.messageKey);
    appendJsonString(out, entry.msg);
  }
  for (const auto& [k, v] : entry.fields.items()) {
    key(k);
    appendJson(out, v);
  }
  out += '}';
  out += options_.lineEnding;
}

// zap's console encoder: tab-separated time, level, logger and message, then the fields as
// JSON with spaces after separators.
void ConsoleEncoder::encode(LogEntry& entry, std::string& out) const {
  applyDurations(options_, entry);
  bool first = true;
  auto sep = [&] {
    if (!first) {
      out += '\t';
    }
    first = false;
  };
  if (!options_.timeKey.empty()) {
    sep();
    options_.appendTime(out, entry.tsNs, false);
  }
  std::string level;
  if (!options_.levelKey.empty() && options_.levelText(entry.level, level)) {
    sep();
    out += level;
  }
  if (!entry.logger.empty() && !options_.nameKey.empty()) {
    sep();
    out += entry.logger;
  }
  if (!options_.messageKey.empty()) {
    sep();
    out += entry.msg;
  }
  if (!entry.fields.empty()) {
    sep();
    appendJson(out, entry.fields, true);
  }
  out += options_.lineEnding;
}

void FilterEncoder::encode(LogEntry& entry, std::string& out) const {
  for (const auto& rule : rules_) {
    rule.apply(entry.fields);
  }
  wrapped_->encode(entry, out);
}

std::unique_ptr<Encoder> makeEncoder(const Json& cfg, const std::string& path, bool consoleFallback) {
  if (cfg.is_null()) {
    if (consoleFallback) {
      return std::make_unique<ConsoleEncoder>(EncoderOptions::consoleDefaults());
    }
    return std::make_unique<JsonEncoder>();
  }
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected an encoder object");
  }
  const std::string format = cfg.value("format", "");
  const bool plain = format == "json" || format == "console";
  if (!plain && format != "filter") {  // name the encoder before its options
    throw ProvisionError(path + ".format", "log encoder '" + format + "' is not supported yet");
  }
  for (const auto& [k, _] : cfg.items()) {
    const bool known = k == "format" || (format == "filter" && (k == "wrap" || k == "fields")) ||
                       (plain && EncoderOptions::isOption(k));
    if (!known) {
      throw ProvisionError(path + "." + k, "log encoder option '" + k + "' is not supported yet");
    }
  }
  if (format == "json") {
    return std::make_unique<JsonEncoder>(EncoderOptions::fromJson(cfg, path, false));
  }
  if (format == "console") {
    return std::make_unique<ConsoleEncoder>(EncoderOptions::fromJson(cfg, path, true));
  }
  std::vector<FieldRule> rules;
  if (cfg.contains("fields")) {
    for (const auto& [field, filter] : cfg["fields"].items()) {
      FieldRule rule;
      size_t start = 0;
      while (true) {
        size_t gt = field.find('>', start);
        rule.path.push_back(field.substr(start, gt - start));
        if (gt == std::string::npos) {
          break;
        }
        start = gt + 1;
      }
      rule.filter = makeFieldFilter(filter, path + ".fields." + field);
      rules.push_back(std::move(rule));
    }
  }
  // caddy 2.6.2 needs `wrap` (newer Caddy defaults it to json)
  if (!cfg.contains("wrap")) {
    throw ProvisionError(path, "missing \"wrap\" (must specify an underlying encoder)");
  }
  auto wrapped = makeEncoder(cfg["wrap"], path + ".wrap", false);
  return std::make_unique<FilterEncoder>(std::move(rules), std::move(wrapped));
}

}  // namespace gatehouse::log
