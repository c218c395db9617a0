#include "solvers/standalone_solvers.h"

#include "crypto/tls_alpn_cert.h"

namespace gatehouse::acme {

std::string challengeListenError(std::string_view challenge, const ChallengeAddress& address, int uvError) {
  const bool http = challenge == "http-01";
  const std::string where = listenAddress(address.host, address.port);
  std::string msg = "cannot listen for " + std::string(http ? "HTTP-01" : "TLS-ALPN-01") + " challenges on " +
                    where + ": " + uv_strerror(uvError);
  const char* option = http ? "alt_http_port" : "alt_tlsalpn_port";
  const char* serverPort = http ? "http_port" : "https_port";
  if (uvError == UV_EADDRINUSE) {
    msg += std::string("; another program holds port ") + std::to_string(address.port) +
           ", where this challenge is answered because no site of this config listens there. Stop that "
           "program, point " +
           option + " (or the global " + serverPort +
           ") at a free port or at one a site of this config listens on, or disable the challenge "
           "(disable_" +
           (http ? "http" : "tlsalpn") + "_challenge)";
  } else if (uvError == UV_EACCES) {
    msg += std::string("; ports below 1024 need root or CAP_NET_BIND_SERVICE (or choose another port with ") +
           option + ")";
  } else if (uvError == UV_EADDRNOTAVAIL) {
    msg += "; bind_host (or default_bind) names an address this machine does not have";
  }
  return msg;
}

void StandaloneHttp01Solver::present(const ChallengeInfo& c,
                                     std::function<void(std::optional<std::string>)> done) {
  if (!listener_) {
    auto listener = std::make_unique<Http01Listener>(loop_, responder_);
    if (const int rc = listener->listen(address_.host, address_.port); rc != 0)
      return done(challengeListenError(type(), address_, rc));
    listener_ = std::move(listener);
    log_.info("tls", "serving HTTP-01 challenges on a listener of our own",
              {{"address", listenAddress(address_.host, address_.port)}});
  }
  presented_.insert(c.token);
  responder_.setHttp01(c.token, c.keyAuthorization);
  done(std::nullopt);
}

void StandaloneHttp01Solver::cleanUp(const ChallengeInfo& c, std::function<void()> done) {
  if (presented_.erase(c.token) > 0)
    responder_.clearHttp01(c.token);
  if (presented_.empty())
    listener_.reset();  // the port is free again between orders
  done();
}

void StandaloneTlsAlpn01Solver::present(const ChallengeInfo& c,
                                        std::function<void(std::optional<std::string>)> done) {
  PemCertificate pem;
  try {
    auto cert = buildTlsAlpnCertificate(c.identifier, c.keyAuthorization);
    pem = {std::move(cert.certPem), std::move(cert.keyPem)};
  } catch (const std::exception& e) {
    return done(std::string(e.what()));
  }
  if (!listener_) {
    auto listener = std::make_unique<TlsAlpn01Listener>(loop_, certificates_);
    if (const int rc = listener->listen(address_.host, address_.port); rc != 0)
      return done(challengeListenError(type(), address_, rc));
    listener_ = std::move(listener);
    log_.info("tls", "serving TLS-ALPN-01 challenges on a listener of our own",
              {{"address", listenAddress(address_.host, address_.port)}});
  }
  presented_.insert(c.identifier);
  responder_.setTlsAlpn01(c.identifier, std::move(pem));
  done(std::nullopt);
}

void StandaloneTlsAlpn01Solver::cleanUp(const ChallengeInfo& c, std::function<void()> done) {
  if (presented_.erase(c.identifier) > 0)
    responder_.clearTlsAlpn01(c.identifier);
  if (presented_.empty())
    listener_.reset();
  done();
}

}  // namespace gatehouse::acme
