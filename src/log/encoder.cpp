#include "log/encoder.h"

#include "log/json_text.h"
#include "provision/provision_error.h"

namespace gatehouse::log {

using config::Json;
using provision::ProvisionError;

namespace {

void appendFields(const Json& fields, std::string& out) {
  for (const auto& [k, v] : fields.items()) {
    out += ',';
    appendJsonString(out, k);
    out += ':';
    appendJson(out, v);
  }
}

}  // namespace

void JsonEncoder::encode(LogEntry& entry, std::string& out) const {
  out += "{\"level\":";
  appendJsonString(out, levelName(entry.level));
  out += ",\"ts\":";
  appendJsonNumber(out, entry.ts);
  if (!entry.logger.empty()) {
    out += ",\"logger\":";
    appendJsonString(out, entry.logger);
  }
  out += ",\"msg\":";
  appendJsonString(out, entry.msg);
  appendFields(entry.fields, out);
  out += "}\n";
}

void ConsoleEncoder::encode(LogEntry& entry, std::string& out) const {
  appendJsonNumber(out, entry.ts);
  out += '\t';
  out += levelName(entry.level);
  if (!entry.logger.empty()) {
    out += '\t';
    out += entry.logger;
  }
  out += '\t';
  out += entry.msg;
  if (!entry.fields.empty()) {
    out += '\t';
    appendJson(out, entry.fields);
  }
  out += '\n';
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
      return std::make_unique<ConsoleEncoder>();
    }
    return std::make_unique<JsonEncoder>();
  }
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected an encoder object");
  }
  const std::string format = cfg.value("format", "");
  for (const auto& [k, _] : cfg.items()) {
    const bool known = k == "format" || (format == "filter" && (k == "wrap" || k == "fields"));
    if (!known) {
      throw ProvisionError(path + "." + k, "log encoder option '" + k + "' is not supported yet");
    }
  }
  if (format == "json") {
    return std::make_unique<JsonEncoder>();
  }
  if (format == "console") {
    return std::make_unique<ConsoleEncoder>();
  }
  if (format != "filter") {
    throw ProvisionError(path + ".format", "log encoder '" + format + "' is not supported yet");
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
  // Caddy wraps JSON when `wrap` is not given.
  auto wrapped = cfg.contains("wrap") ? makeEncoder(cfg["wrap"], path + ".wrap", false)
                                      : std::make_unique<JsonEncoder>();
  return std::make_unique<FilterEncoder>(std::move(rules), std::move(wrapped));
}

}  // namespace gatehouse::log
