// GET /pki/ca/<id> (the CA's names and PEM certificates as JSON) and
// GET /pki/ca/<id>/certificates (the chain, intermediate first), as caddy 2.6.2's pki admin
// routes answer. The CA is loaded from storage as the pki app keeps it (made on first use).

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <chrono>
#include <memory>
#include <vector>

#include "admin/admin_server.h"
#include "admin/api_router.h"
#include "admin/config_tree.h"
#include "provision/internal_settings.h"

namespace gatehouse::admin {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::string pemOf(const X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = s.find('/', start);
    parts.push_back(s.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) {
      return parts;
    }
    start = slash + 1;
  }
}

bool configured(const Json& cfg, const std::string& id) {
  const Json* p = &cfg;
  for (const char* key : {"apps", "pki", "certificate_authorities"}) {
    if (!p->is_object() || !p->contains(key)) {
      return false;
    }
    p = &(*p)[key];
  }
  return p->is_object() && p->contains(id);
}

}  // namespace

ApiResponse handlePki(const ApiRequest& req, ConfigSink& sink) {
  const std::vector<std::string> parts = split(req.path.substr(5));  // after "/pki/"
  const bool info = parts.size() == 2 && parts[0] == "ca" && !parts[1].empty();
  const bool chain = parts.size() == 3 && parts[0] == "ca" && !parts[1].empty() && parts[2] == "certificates";
  if (!info && !chain) {
    return errorResponse(404, "resource not found: " + req.path);
  }
  if (req.method != "GET") {
    return errorResponse(405, "method not allowed: " + req.method);
  }
  const std::string& id = parts[1];
  const Json running = sink.currentConfig();
  if (id != "local" && !configured(running, id)) {
    return errorResponse(404, "no certificate authority configured with id: " + id);
  }
  std::shared_ptr<const acme::internal::LocalCa> ca;
  try {
    const config::Config cfg = config::configFromJson(withoutIds(running));
    std::vector<std::string> warnings;
    ca = provision::loadPkiCa(cfg, id, warnings, "pki API");
  } catch (const std::exception& e) {
    return errorResponse(500, std::string("loading CA: ") + e.what());
  }
  const std::string root = pemOf(ca->root());
  const std::string inter = pemOf(ca->intermediate());
  ApiResponse r;
  if (chain) {
    r.contentType = "application/pem-certificate-chain";
    r.body = inter + root;
    return r;
  }
  const auto& o = ca->options();
  const auto now = std::chrono::system_clock::now();
  Json body = Json::object();
  body["id"] = id;
  body["name"] = o.name;
  body["root_common_name"] = acme::internal::expandCaName(o.rootCommonName, o.name, now);
  body["intermediate_common_name"] = acme::internal::expandCaName(o.intermediateCommonName, o.name, now);
  body["root_certificate"] = root;
  body["intermediate_certificate"] = inter;
  r.contentType = "application/json";
  r.body = config::dump(body, false);  // json.Marshal: no newline
  return r;
}

}  // namespace gatehouse::admin
