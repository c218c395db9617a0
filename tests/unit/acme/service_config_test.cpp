// The `gatehouse certs` config: Caddy-style global options plus certificates blocks.
#include "service/service_config.h"

#include <catch2/catch.hpp>

#include "gatehouse/parser/config_error.h"

using namespace gatehouse::acme;
using gatehouse::parser::ConfigError;

namespace {
std::string errorOf(const std::string& text) {
  try {
    parseServiceConfig(text, "certs.Caddyfile");
  } catch (const ConfigError& e) {
    return (e.hasLocation() ? e.location().str() + ": " : "") + e.message();
  }
  return "";
}
}  // namespace

TEST_CASE("service config parses global options and certificates blocks", "[acme]") {
  const auto cfg = parseServiceConfig(R"(
{
	email admin@example.com
	acme_ca https://127.0.0.1:14000/dir
	acme_ca_root /tmp/pebble.minica.pem
	key_type p384
	http_port 5002
	default_bind 127.0.0.1
	storage file_system {
		root /var/lib/gatehouse
	}
	acme_eab {
		key_id kid-1
		mac_key c2VjcmV0
	}
	preferred_chains {
		root_common_name "ISRG Root X1"
	}
	renew_interval 90s
}

certificates example.com www.example.com {
	fullchain /etc/ssl/example/fullchain.pem
	privkey /etc/ssl/example/privkey.pem
	owner root root
	mode 0640
	deploy "systemctl reload nginx"
	key_type rsa2048
}

certificates other.test {
	fullchain /tmp/o/f.pem
	privkey /tmp/o/k.pem
}
)",
                                      "certs.Caddyfile");
  CHECK(cfg.email == "admin@example.com");
  CHECK(cfg.ca == "https://127.0.0.1:14000/dir");
  CHECK(cfg.caRoot == "/tmp/pebble.minica.pem");
  CHECK(cfg.keyType == KeyType::P384);
  CHECK(cfg.httpPort == 5002);
  CHECK(cfg.bindHost == "127.0.0.1");
  CHECK(cfg.storageRoot == "/var/lib/gatehouse");
  REQUIRE(cfg.eab);
  CHECK(cfg.eab->keyId == "kid-1");
  CHECK(cfg.preferredChains.rootCommonNames == std::vector<std::string>{"ISRG Root X1"});
  CHECK(cfg.renewInterval == std::chrono::seconds(90));
  REQUIRE(cfg.certificates.size() == 2);
  const auto& c = cfg.certificates[0];
  CHECK(c.names == std::vector<std::string>{"example.com", "www.example.com"});
  CHECK(c.fullchainPath == "/etc/ssl/example/fullchain.pem");
  CHECK(c.ownerUser == "root");
  CHECK(c.ownerGroup == "root");
  CHECK(c.mode == mode_t(0640));
  CHECK(c.deploy == "systemctl reload nginx");
  CHECK(c.keyType == KeyType::Rsa2048);
  CHECK(c.where.line == 22);
  CHECK_FALSE(cfg.certificates[1].mode.has_value());
}

TEST_CASE("service config defaults to Let's Encrypt and Caddy's storage", "[acme]") {
  const auto cfg = parseServiceConfig("certificates a.test {\n fullchain f\n privkey k\n}\n", "c");
  CHECK(cfg.ca == "https://acme-v02.api.letsencrypt.org/directory");
  CHECK(cfg.storageRoot.empty());
  CHECK(cfg.httpPort == 80);
  CHECK(cfg.keyType == KeyType::P256);
}

TEST_CASE("service config errors carry file:line:col", "[acme]") {
  CHECK(errorOf("certificates a.test {\n fullchain f\n privkey k\n bogus 1\n}\n") ==
        "certs.Caddyfile:4:2: unrecognized certificates option 'bogus'");
  CHECK(errorOf("certificates a.test {\n fullchain f\n}\n") ==
        "certs.Caddyfile:1:1: certificates a.test: fullchain and privkey are required");
  CHECK(errorOf("{\n key_type p521\n}\ncertificates a {\n fullchain f\n privkey k\n}\n") ==
        "certs.Caddyfile:2:11: unknown key_type 'p521' (want p256, p384, rsa2048, rsa4096 or ed25519)");
  CHECK(errorOf("certificates a {\n fullchain f\n privkey k\n mode 999\n}\n") ==
        "certs.Caddyfile:4:7: invalid file mode '999' (octal, e.g. 0600)");
  CHECK(errorOf("example.com {\n respond hi\n}\n")
            .find("certs.Caddyfile:1:1: gatehouse certs configs hold only") == 0);
  CHECK(
      errorOf(
          "certificates a {\n fullchain f\n privkey k\n}\ncertificates a {\n fullchain g\n privkey h\n}\n") ==
      "certs.Caddyfile:5:1: name a is in two certificates blocks");
  CHECK(errorOf("{\n admin off\n}\ncertificates a {\n fullchain f\n privkey k\n}\n") ==
        "certs.Caddyfile:2:2: global option 'admin' is not used by gatehouse certs");
  CHECK(errorOf("certificates a/b {\n fullchain f\n privkey k\n}\n") ==
        "certs.Caddyfile:1:14: 'a/b' is not a domain name or IP address");
  CHECK(errorOf("{\n email\n}\ncertificates a {\n fullchain f\n privkey k\n}\n")
            .find("certs.Caddyfile:2:2: ") == 0);
  CHECK(errorOf("{\n}\n").find("no certificates blocks") != std::string::npos);
}

TEST_CASE("service config: profile globally and per certificates block", "[acme]") {
  const auto cfg = parseServiceConfig(R"(
{
	profile tlsserver
}
certificates a.example {
	fullchain /tmp/a/fullchain.pem
	privkey /tmp/a/privkey.pem
}
certificates b.example {
	fullchain /tmp/b/fullchain.pem
	privkey /tmp/b/privkey.pem
	profile shortlived
}
)",
                                      "certs.Caddyfile");
  CHECK(cfg.profile == "tlsserver");
  REQUIRE(cfg.certificates.size() == 2);
  CHECK_FALSE(cfg.certificates[0].profile.has_value());
  CHECK(cfg.certificates[1].profile == std::optional<std::string>("shortlived"));
  CHECK(errorOf("certificates a.example {\n\tfullchain f\n\tprivkey k\n\tprofile\n}\n")
            .find("certs.Caddyfile:4") != std::string::npos);
  CHECK(errorOf("{\n\tprofile a b\n}\ncertificates a.example {\n\tfullchain f\n\tprivkey k\n}\n")
            .find("certs.Caddyfile:2") != std::string::npos);
}
