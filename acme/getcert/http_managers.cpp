#include "getcert/http_managers.h"

#include <algorithm>

#include "getcert/http_managers_core.h"
#include "tls/connection_policy.h"

namespace gatehouse::acme {

HttpCertificateManagers::HttpCertificateManagers(std::vector<ManagerPolicy> policies)
    : policies_(std::move(policies)), core_(std::make_shared<ManagerCore>()) {}

HttpCertificateManagers::~HttpCertificateManagers() {
  core_->close();
}

const ManagerPolicy* HttpCertificateManagers::policyFor(std::string_view name) const {
  const std::string n(name);
  for (const auto& p : policies_) {
    if (p.subjects.empty() || std::any_of(p.subjects.begin(), p.subjects.end(), [&](const std::string& s) {
          return !n.empty() && tls::matchesServerName(s, n);
        })) {
      return &p;
    }
  }
  return nullptr;  // Caddy's default policy, which has no managers
}

bool HttpCertificateManagers::covers(std::string_view name) const {
  const ManagerPolicy* p = policyFor(name);
  return p != nullptr && !p->urls.empty();
}

void HttpCertificateManagers::request(tls::ManagerQuery query,
                                      std::function<void(tls::ManagerAnswer)> done) const {
  const ManagerPolicy* p = policyFor(query.serverName);
  if (p == nullptr || p->urls.empty()) {
    return done(tls::ManagerAnswer{});
  }
  core_->submit(ManagerJob{p->urls, std::move(query), std::move(done)});
}

}  // namespace gatehouse::acme
