#pragma once
// The tls app and the servers' tls_connection_policies -> OpenSSL-ready runtime objects.
// Every field is either honoured or refused with its JSON path.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/tls/certificate_store.h"
#include "gatehouse/tls/challenge_provider.h"
#include "provision/loaded_ocsp_stapling.h"
#include "tls/server_tls.h"
#include "tls/ticket_keys.h"

namespace gatehouse::provision {

struct Runtime;

// The tls app as the runtime uses it.
struct TlsAppRuntime {
  std::shared_ptr<tls::CertificateStore> store;           // certificates loaded by the config
  std::shared_ptr<tls::TicketKeyRing> tickets;            // null: session tickets disabled
  std::vector<const config::AutomationPolicy*> policies;  // points into the config
  std::vector<std::string> automate;                      // certificates.automate, lower-case
  std::vector<LoadedCertificate> loaded;                  // load_files, load_pem, load_folders
  // The acme-tls/1 hook every server's TLS answers challenges from; set by the ACME
  // client when it provisions (null until then: acme-tls/1 handshakes are refused).
  std::shared_ptr<const tls::ChallengeCertificateProvider> challenges;
  // Paused handshakes ask it for certificates obtained on demand (null: no on-demand TLS).
  std::shared_ptr<const tls::OnDemandCertificates> onDemand;
  // Certificate managers (get_certificate) handshakes ask (null: none configured).
  std::shared_ptr<const tls::CertificateManagers> managers;
  // insecure_secrets_log files by absolute path: policies naming the same file share one
  // writer (as Caddy's pool), so their lines never interleave.
  std::shared_ptr<std::map<std::string, std::shared_ptr<tls::KeyLogFile>>> keyLogs =
      std::make_shared<std::map<std::string, std::shared_ptr<tls::KeyLogFile>>>();
};

// Loads apps.tls (certificates, session_tickets). The ticket key ring of `previous` is
// kept when its settings did not change, so tickets issued before a reload still resume.
TlsAppRuntime provisionTlsApp(const config::Config& config, const Runtime* previous);

// Compiles a server's tls_connection_policies (a JSON array). `alpn` is the server's
// protocol preference ("h2", "http/1.1").
std::shared_ptr<const tls::ServerTls> provisionServerTls(const config::Json& policies,
                                                         const std::string& path, const TlsAppRuntime& app,
                                                         std::vector<std::string> alpn);

}  // namespace gatehouse::provision
