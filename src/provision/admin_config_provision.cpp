#include "provision/admin_config_provision.h"

#include <algorithm>

#include "provision/provision_error.h"
#include "provision/runtime.h"

namespace gatehouse::provision {

namespace {

using config::Json;

std::string stringField(const Json& v, const std::string& path) {
  if (!v.is_string()) {
    throw ProvisionError(path, "expected a string");
  }
  std::string s = v.get<std::string>();
  // Caddy runs these through its global replacer ({env.*}, {system.*}, unknown ones
  // become ""); gatehouse does not, so it refuses rather than send something else.
  if (s.find('{') != std::string::npos) {
    throw ProvisionError(path, "placeholders in the config loader are not supported yet");
  }
  return s;
}

// tls: only root_ca_pem_files with one file (curl takes one CA file).
void loaderTls(const Json& tls, const std::string& path, admin::ConfigLoaderSpec& spec) {
  if (!tls.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [key, v] : tls.items()) {
    const std::string p = path + "." + key;
    if (key == "root_ca_pem_files") {
      if (!v.is_array() || v.size() > 1) {
        throw ProvisionError(p, "more than one root CA file is not supported yet");
      }
      if (v.size() == 1) {
        spec.caFile = stringField(v[0], p + "[0]");
      }
    } else if (key == "use_server_identity" || key == "client_certificate_file" ||
               key == "client_certificate_key_file") {
      throw ProvisionError(p, "client certificates for the config loader are not supported yet");
    } else {
      throw ProvisionError(p, "json: unknown field \"" + key + "\"");
    }
  }
}

admin::ConfigLoaderSpec loaderSpec(const Json& load, const std::string& path) {
  if (!load.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  if (load.value("module", "") != "http") {
    throw ProvisionError(path + ".module", "config loader module '" + load.value("module", "") +
                                               "' is not known (caddy 2.6.2 has 'http')");
  }
  admin::ConfigLoaderSpec spec;
  for (const auto& [key, v] : load.items()) {
    const std::string p = path + "." + key;
    if (key == "module") {
      continue;
    } else if (key == "url") {
      spec.url = stringField(v, p);
    } else if (key == "method") {
      spec.method = stringField(v, p);
      const char* known[] = {"GET", "HEAD", "POST", "DELETE"};
      if (!spec.method.empty() &&
          std::find(std::begin(known), std::end(known), spec.method) == std::end(known)) {
        throw ProvisionError(p,
                             "method '" + spec.method + "' is not supported yet (GET, HEAD, POST, DELETE)");
      }
      if (spec.method.empty()) {
        spec.method = "GET";
      }
    } else if (key == "header") {
      if (!v.is_object()) {
        throw ProvisionError(p, "expected an object of header lists");
      }
      for (const auto& [name, values] : v.items()) {
        if (!values.is_array()) {
          throw ProvisionError(p + "." + name, "expected a list of values");
        }
        for (size_t i = 0; i < values.size(); ++i) {
          spec.headers.emplace_back(name,
                                    stringField(values[i], p + "." + name + "[" + std::to_string(i) + "]"));
        }
      }
    } else if (key == "timeout") {
      spec.timeout = parseDuration(v, p);
    } else if (key == "tls") {
      loaderTls(v, p, spec);
    } else {
      // caddy 2.6.2 decodes the module strictly (`adapter` and `retry_delay` came later).
      throw ProvisionError(p, "caddy.config_loaders.http: json: unknown field \"" + key + "\"");
    }
  }
  if (!spec.url.starts_with("http://") && !spec.url.starts_with("https://")) {
    throw ProvisionError(path + ".url", "the config loader needs an http:// or https:// URL");
  }
  return spec;
}

}  // namespace

std::optional<admin::ConfigLoaderSpec> provisionAdminConfig(const Json& value) {
  if (!value.is_object()) {
    throw ProvisionError("admin.config", "expected an object");
  }
  std::optional<admin::ConfigLoaderSpec> spec;
  std::chrono::nanoseconds delay{0};
  for (const auto& [key, v] : value.items()) {
    if (key == "persist") {
      if (!v.is_boolean()) {
        throw ProvisionError("admin.config.persist", "expected true or false");
      }
    } else if (key == "load") {
      spec = loaderSpec(v, "admin.config.load");
    } else if (key == "load_delay") {
      delay = parseDuration(v, "admin.config.load_delay");
    } else {
      throw ProvisionError("admin.config." + key, "admin config option '" + key + "' is not supported yet");
    }
  }
  if (spec) {
    spec->delay = delay;
  }
  return spec;
}

}  // namespace gatehouse::provision
