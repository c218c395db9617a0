#include "config/caddy_key_order.h"

#include <algorithm>

#include "config/json_writer.h"

namespace gatehouse::config {
namespace {

// `obj` with the keys in `order` first, in that order, then the others as they were.
Json reordered(const Json& obj, std::initializer_list<const char*> order) {
  if (!obj.is_object()) {
    return obj;
  }
  Json out = Json::object();
  out.get_ref<Json::object_t&>().reserve(obj.size());
  for (const char* key : order) {
    if (auto it = obj.find(key); it != obj.end()) {
      out[key] = *it;
    }
  }
  for (const auto& [key, value] : obj.items()) {
    if (!out.contains(key)) {
      out[key] = value;
    }
  }
  return out;
}

// A Go map of values: keys sorted, each value through `each`.
template <typename Each>
Json sortedMap(const Json& map, Each each) {
  if (!map.is_object()) {
    return map;
  }
  std::vector<std::string> keys;
  keys.reserve(map.size());
  for (const auto& item : map.items()) {
    keys.push_back(item.key());
  }
  std::sort(keys.begin(), keys.end());
  Json out = Json::object();
  for (const auto& key : keys) {
    out[key] = each(map.at(key));
  }
  return out;
}

// Replaces the listed members (modules) with their fully sorted form.
void sortModules(Json& obj, std::initializer_list<const char*> modules) {
  for (const char* key : modules) {
    if (auto it = obj.find(key); it != obj.end()) {
      *it = sortedDeep(*it);
    }
  }
}

Json customLog(const Json& log) {
  Json out = reordered(log, {"writer", "encoder", "level", "sampling", "include", "exclude"});
  if (out.is_object()) {
    sortModules(out, {"writer", "encoder"});
  }
  return out;
}

Json clientAuthentication(const Json& auth) {
  Json out = reordered(auth, {"ca", "trusted_ca_certs", "trusted_ca_certs_pem_files", "trusted_leaf_certs",
                              "verifiers", "mode"});
  if (out.is_object()) {
    sortModules(out, {"ca", "verifiers"});
  }
  return out;
}

Json connectionPolicy(const Json& policy) {
  Json out = reordered(policy, {"match", "certificate_selection", "cipher_suites", "curves", "alpn",
                                "protocol_min", "protocol_max", "client_authentication", "default_sni",
                                "fallback_sni", "insecure_secrets_log"});
  if (out.is_object()) {
    if (auto it = out.find("client_authentication"); it != out.end()) {
      *it = clientAuthentication(*it);
    }
  }
  return out;
}

Json certificateAuthority(const Json& ca) {
  return reordered(ca, {"name", "root_common_name", "intermediate_common_name", "intermediate_lifetime",
                        "install_trust", "root", "intermediate", "storage"});
}

}  // namespace

Json tlsAppInCaddyOrder(const Json& tls) {
  Json out =
      reordered(tls, {"certificates", "automation", "session_tickets", "cache", "disable_ocsp_stapling",
                      "disable_storage_check", "disable_storage_clean", "dns"});
  if (!out.is_object()) {
    return out;
  }
  if (auto it = out.find("automation"); it != out.end()) {
    *it = reordered(*it,
                    {"policies", "on_demand", "ocsp_interval", "renew_interval", "storage_clean_interval"});
  }
  sortModules(out, {"dns"});
  return out;
}

Json pkiAppInCaddyOrder(const Json& pki) {
  Json out = pki;
  if (out.is_object()) {
    if (auto it = out.find("certificate_authorities"); it != out.end()) {
      *it = sortedMap(*it, certificateAuthority);
    }
  }
  return out;
}

Json loggingInCaddyOrder(const Json& logging) {
  Json out = reordered(logging, {"sink", "logs"});
  if (out.is_object()) {
    if (auto it = out.find("logs"); it != out.end()) {
      *it = sortedMap(*it, customLog);
    }
    if (auto it = out.find("sink"); it != out.end() && it->is_object()) {
      sortModules(*it, {"writer"});
    }
  }
  return out;
}

Json connectionPoliciesInCaddyOrder(const Json& policies) {
  if (!policies.is_array()) {
    return policies;
  }
  Json out = Json::array();
  for (const auto& p : policies) {
    out.push_back(connectionPolicy(p));
  }
  return out;
}

Json serverLogsInCaddyOrder(const Json& logs) {
  return reordered(logs, {"default_logger_name", "logger_names", "skip_hosts", "skip_unmapped_hosts",
                          "should_log_credentials"});
}

}  // namespace gatehouse::config
