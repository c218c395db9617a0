#include "dns/dns_challenge_settings.h"

#include <cstdlib>

#include "dns/dns_provider_factory.h"

namespace gatehouse::acme::dns {

namespace {

using Json = nlohmann::json;

// caddy.Duration: an integer of nanoseconds, or a Go duration string ("90s", "1m30s",
// "500ms") with Caddy's extra "d" unit.
std::chrono::nanoseconds duration(const Json& v, const std::string& key) {
  if (v.is_number_integer())
    return std::chrono::nanoseconds(v.get<int64_t>());
  if (!v.is_string())
    throw DnsSettingsError(key, "expected a duration");
  const std::string s = v.get<std::string>();
  if (s == "0" || s == "-1")
    return std::chrono::nanoseconds(std::stoll(s));
  double total = 0;
  size_t i = 0;
  const bool negative = s.starts_with("-");
  if (negative)
    i = 1;
  if (i >= s.size())
    throw DnsSettingsError(key, "invalid duration '" + s + "'");
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.'))
      ++j;
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k])))
      ++k;
    if (j == i || k == j)
      throw DnsSettingsError(key, "invalid duration '" + s + "'");
    const double n = std::strtod(s.substr(i, j - i).c_str(), nullptr);
    const std::string unit = s.substr(j, k - j);
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else if (unit == "d")
      scale = 86400e9;
    else
      throw DnsSettingsError(key, "invalid duration '" + s + "'");
    total += n * scale;
    i = k;
  }
  // Past int64 nanoseconds Go's time.ParseDuration (and so caddy 2.6.2) refuses the value;
  // the conversion below would also be undefined (UBSan float-cast-overflow).
  if (!(total < 9223372036854775808.0)) {
    throw DnsSettingsError(key, "invalid duration '" + s + "'");
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(negative ? -total : total));
}

Json expandStrings(const Json& v) {
  if (v.is_string())
    return expandEnvPlaceholders(v.get<std::string>());
  if (v.is_array() || v.is_object()) {
    Json out = v;
    for (auto& item : out)
      item = expandStrings(item);
    return out;
  }
  return v;
}

}  // namespace

std::string expandEnvPlaceholders(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("{env.", i);
    if (open == std::string::npos)
      break;
    const size_t close = text.find('}', open);
    if (close == std::string::npos)
      break;
    out.append(text, i, open - i);
    const std::string name = text.substr(open + 5, close - open - 5);
    const char* value = std::getenv(name.c_str());
    out += value != nullptr ? value : "";
    i = close + 1;
  }
  out.append(text, i, std::string::npos);
  return out;
}

DnsChallengeSettings parseDnsChallenge(const Json& dns) {
  if (!dns.is_object())
    throw DnsSettingsError("", "expected an object");
  DnsChallengeSettings s;
  for (const auto& [key, value] : dns.items()) {
    if (key == "provider") {
      if (!value.is_object() || !value.contains("name") || !value["name"].is_string())
        throw DnsSettingsError("provider", "expected an object with a \"name\"");
      s.provider = expandStrings(value);
    } else if (key == "ttl") {
      s.ttl = std::chrono::duration_cast<std::chrono::seconds>(duration(value, key));
    } else if (key == "propagation_delay") {
      s.propagationDelay = std::chrono::duration_cast<std::chrono::milliseconds>(duration(value, key));
    } else if (key == "propagation_timeout") {
      const auto d = duration(value, key);
      s.propagationTimeoutSet = true;
      // -1 (nanoseconds, as Caddy stores "propagation_timeout -1") turns the check off.
      s.propagationTimeout = d.count() < 0 ? std::chrono::milliseconds(-1)
                                           : std::chrono::duration_cast<std::chrono::milliseconds>(d);
    } else if (key == "resolvers") {
      if (!value.is_array())
        throw DnsSettingsError(key, "expected an array of host[:port]");
      for (const auto& r : value) {
        auto ns = r.is_string() ? parseNameServer(r.get<std::string>()) : std::nullopt;
        if (!ns)
          throw DnsSettingsError(key, "'" + r.dump() + "' is not host[:port]");
        s.resolvers.push_back(*ns);
      }
    } else if (key == "override_domain") {
      if (!value.is_string())
        throw DnsSettingsError(key, "expected a string");
      s.overrideDomain = value.get<std::string>();
    } else {
      throw DnsSettingsError(key, "'" + key + "' is not supported yet");
    }
  }
  if (s.provider.is_null())
    throw DnsSettingsError("provider", "a DNS challenge needs a provider");
  try {
    makeDnsProvider(nullptr, s.provider);
  } catch (const std::invalid_argument& e) {
    throw DnsSettingsError("provider", e.what());
  }
  return s;
}

}  // namespace gatehouse::acme::dns
