// client_auth inside `tls`: Caddy's ClientAuthentication with its trust pool modules
// (tls.ca_pool.source.*) and verifiers (tls.client_auth.verifier.*).
#include <fstream>
#include <sstream>

#include "directives/tls_directive.h"
#include "options/option_util.h"

namespace gatehouse::parser::tls {
namespace {

using options::oneArg;
using options::onlyArg;

// The base64 DER of the first CERTIFICATE block of a PEM file: the PEM body with its line
// breaks removed is exactly that.
std::string certificateFromPemFile(const Dispenser& d, const std::string& filename) {
  std::ifstream in(filename);
  if (!in)
    throw d.err("open " + filename + ": no such file or directory");
  std::string line, body;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line == "-----BEGIN CERTIFICATE-----") {
      inside = true;
    } else if (line == "-----END CERTIFICATE-----" && inside) {
      return body;
    } else if (inside) {
      body += line;
    }
  }
  throw d.err("no CERTIFICATE pem block found in " + filename);
}

Json parseTrustPool(Dispenser& d);

Json parseInlinePool(Dispenser& d) {
  Json pool = {{"provider", "inline"}};
  if (d.nextArg())
    throw d.argErr();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() == "trust_der") {
      for (auto& c : d.remainingArgs())
        pool["trusted_ca_certs"].push_back(c);
    } else {
      throw d.err("unrecognized directive: " + d.val());
    }
  }
  return pool;
}

Json parseFilePool(Dispenser& d) {
  Json pool = {{"provider", "file"}};
  for (auto& f : d.remainingArgs())
    pool["pem_files"].push_back(f);
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() == "pem_file") {
      for (auto& f : d.remainingArgs())
        pool["pem_files"].push_back(f);
    } else {
      throw d.err("unrecognized directive: " + d.val());
    }
  }
  return pool;
}

Json parsePkiPool(Dispenser& d, const std::string& provider) {
  Json pool = {{"provider", provider}};
  for (auto& a : d.remainingArgs())
    pool["authority"].push_back(a);
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() == "authority") {
      for (auto& a : d.remainingArgs())
        pool["authority"].push_back(a);
    } else {
      throw d.err("unrecognized directive: " + d.val());
    }
  }
  return pool;
}

Json parseCombinedPool(Dispenser& d) {
  Json pool = {{"provider", "combined"}, {"sources", Json::array()}};
  if (d.nextArg())
    throw d.argErr();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() != "source")
      throw d.err("unrecognized directive: " + d.val());
    oneArg(d);
    pool["sources"].push_back(parseTrustPool(d));
  }
  return pool;
}

// With the cursor on the pool module name.
Json parseTrustPool(Dispenser& d) {
  const std::string name = d.val();
  if (name == "inline")
    return parseInlinePool(d);
  if (name == "file")
    return parseFilePool(d);
  if (name == "system") {
    if (d.nextArg())
      throw d.argErr();
    return Json{{"provider", "system"}};
  }
  if (name == "pki_root" || name == "pki_intermediate")
    return parsePkiPool(d, name);
  if (name == "combined")
    return parseCombinedPool(d);
  throw d.err("getting module named 'tls.ca_pool.source." + name +
              "': module not registered: tls.ca_pool.source." + name);
}

// verifier leaf [file|folder <paths...>] { file <paths...> | folder <paths...> }
Json parseLeafVerifier(Dispenser& d) {
  Json v = {{"verifier", "leaf"}};
  auto addLoader = [&](const std::string& kind, std::vector<std::string> paths) {
    if (kind != "file" && kind != "folder")
      throw d.err("unrecognized leaf loader: " + kind);
    if (paths.empty())
      throw d.argErr();
    v["leaf_certs_loaders"].push_back(Json{{kind == "file" ? "files" : "folders", paths}, {"loader", kind}});
  };
  if (d.nextArg()) {
    std::string kind = d.val();
    addLoader(kind, d.remainingArgs());
  }
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    std::string kind = d.val();
    addLoader(kind, d.remainingArgs());
  }
  return v;
}

Json parseVerifier(Dispenser& d) {
  const std::string name = oneArg(d);
  if (name == "leaf")
    return parseLeafVerifier(d);
  if (name == "dummy") {  // Caddy's test verifier
    return Json{{"verifier", "dummy"}};
  }
  throw d.err("getting module named 'tls.client_auth.verifier." + name +
              "': module not registered: tls.client_auth.verifier." + name);
}

}  // namespace

Json parseClientAuth(Dispenser& d) {
  Json ca;
  Json legacyCaCerts = Json::array();
  Json leafCerts = Json::array();
  Json verifiers = Json::array();
  std::string mode;
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (key == "mode") {
      mode = onlyArg(d);
    } else if (key == "trust_pool") {
      if (!legacyCaCerts.empty()) {
        throw d.err("cannot specify both 'trust_pool' and 'trusted_ca_cert' or 'trusted_ca_cert_file'");
      }
      oneArg(d);
      ca = parseTrustPool(d);
    } else if (key == "trusted_ca_cert" || key == "trusted_ca_cert_file") {
      if (!ca.is_null()) {
        throw d.err("cannot specify both 'trust_pool' and 'trusted_ca_cert' or 'trusted_ca_cert_file'");
      }
      std::string arg = oneArg(d);
      legacyCaCerts.push_back(key == "trusted_ca_cert" ? arg : certificateFromPemFile(d, arg));
    } else if (key == "trusted_leaf_cert" || key == "trusted_leaf_cert_file") {
      std::string arg = oneArg(d);
      leafCerts.push_back(key == "trusted_leaf_cert" ? arg : certificateFromPemFile(d, arg));
    } else if (key == "verifier") {
      verifiers.push_back(parseVerifier(d));
    } else {
      throw d.err("unknown subdirective for client_auth: " + key);
    }
  }
  Json out = Json::object();
  // The legacy CA settings become an inline trust pool, as Caddy converts them.
  if (!legacyCaCerts.empty())
    ca = Json{{"provider", "inline"}, {"trusted_ca_certs", legacyCaCerts}};
  if (!ca.is_null())
    out["ca"] = ca;
  if (!leafCerts.empty())
    out["trusted_leaf_certs"] = leafCerts;
  if (!verifiers.empty())
    out["verifiers"] = verifiers;
  if (!mode.empty())
    out["mode"] = mode;
  return out;
}

}  // namespace gatehouse::parser::tls
