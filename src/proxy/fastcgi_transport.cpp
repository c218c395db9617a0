#include "proxy/fastcgi_transport.h"

#include "provision/known_keys.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"

namespace gatehouse::proxy {

using config::Json;
using provision::ProvisionError;

namespace {

bool boolField(const Json& v, const std::string& path) {
  if (!v.is_boolean()) {
    throw ProvisionError(path, "expected true or false");
  }
  return v.get<bool>();
}

std::string stringField(const Json& v, const std::string& path) {
  if (!v.is_string()) {
    throw ProvisionError(path, "expected a string");
  }
  return v.get<std::string>();
}

}  // namespace

std::shared_ptr<const FastCgiTransport> FastCgiTransport::parse(const Json& t, const std::string& path) {
  provision::onlyKeys(t, path,
                      {"protocol", "root", "split_path", "resolve_root_symlink", "env", "dial_timeout",
                       "read_timeout", "write_timeout", "capture_stderr"});
  auto f = std::make_shared<FastCgiTransport>();
  for (const auto& [k, v] : t.items()) {
    const std::string p = path + "." + k;
    if (k == "root") {
      f->root = router::Template(stringField(v, p));
    } else if (k == "split_path") {
      if (!v.is_array()) {
        throw ProvisionError(p, "expected an array of strings");
      }
      for (size_t i = 0; i < v.size(); ++i) {
        f->splitPath.push_back(stringField(v[i], p + "[" + std::to_string(i) + "]"));
      }
    } else if (k == "resolve_root_symlink") {
      f->resolveRootSymlink = boolField(v, p);
    } else if (k == "capture_stderr") {
      f->captureStderr = boolField(v, p);
    } else if (k == "env") {
      if (!v.is_object()) {
        throw ProvisionError(p, "expected an object of strings");
      }
      for (const auto& [name, value] : v.items()) {
        f->env.emplace_back(name, router::Template(stringField(value, p + "." + name)));
      }
    } else if (k == "dial_timeout") {
      f->dialTimeout = provision::parseDuration(v, p);
      if (f->dialTimeout.count() == 0) {
        f->dialTimeout = std::chrono::milliseconds(3'000);  // Caddy: 0 means the default
      }
    } else if (k == "read_timeout") {
      f->readTimeout = provision::parseDuration(v, p);
    } else if (k == "write_timeout") {
      f->writeTimeout = provision::parseDuration(v, p);
    }
  }
  return f;
}

}  // namespace gatehouse::proxy
