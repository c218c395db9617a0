#include "server/challenge_validation.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "crypto/csr.h"
#include "crypto/jwk.h"
#include "dns/dns_query.h"
#include "http/curl_handles.h"

namespace gatehouse::acme::server {

namespace {

using Json = nlohmann::json;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OsslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OsslDeleter<SSL_free>>;

constexpr size_t kMaxHttpBody = 64 * 1024;

Json problem(const std::string& type, const std::string& detail) {
  return {{"type", "urn:ietf:params:acme:error:" + type}, {"detail", detail}, {"status", 400}};
}

std::string hostForUrl(const Identifier& id) {
  return id.value.find(':') != std::string::npos ? "[" + id.value + "]" : id.value;
}

size_t collectBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t len = size * n;
  if (body->size() + len > kMaxHttpBody) {
    return 0;  // aborts the transfer: no key authorization is that long
  }
  body->append(data, len);
  return len;
}

std::string trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  const size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

Json validateHttp01(const ValidationTarget& t, const ValidationSettings& s) {
  const std::string url = "http://" + hostForUrl(t.identifier) + ":" + std::to_string(s.httpPort) +
                          "/.well-known/acme-challenge/" + t.token;
  CurlEasyPtr curl(curl_easy_init());
  if (!curl) {
    return problem("serverInternal", "cannot create an HTTP client");
  }
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, static_cast<long>(s.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 0L);  // a redirect to https proves nothing by its cert
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collectBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return problem("connection", "GET " + url + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) {
    return problem("unauthorized", "GET " + url + ": status " + std::to_string(status));
  }
  if (trimmed(body) != t.keyAuthorization) {
    return problem("incorrectResponse", "GET " + url + ": key authorization does not match");
  }
  return nullptr;
}

// A TCP connection to host:port within `timeout`; -1 with `error` set otherwise.
int dialTcp(const std::string& host, uint16_t port, std::chrono::seconds timeout, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int gai = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (gai != 0) {
    error = "looking up " + host + ": " + gai_strerror(gai);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(res, freeaddrinfo);
  error = "no address for " + host;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      continue;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count() * 1000)) == 1 ? 0 : -1;
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (rc == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0)) {
        rc = -1;
        errno = soerr;
      }
    }
    if (rc == 0) {
      // Back to blocking, with the same bound on every read and write of the handshake.
      const timeval tv{static_cast<time_t>(timeout.count()), 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      const int flags = fcntl(fd, F_GETFL);
      fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      return fd;
    }
    error = "connecting to " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
    close(fd);
  }
  return -1;
}

// RFC 8738 section 6: an IP identifier's SNI is its reverse-mapping name.
std::string sniFor(const Identifier& id) {
  if (id.type != "ip") {
    return id.value;
  }
  unsigned char addr[16];
  if (inet_pton(AF_INET, id.value.c_str(), addr) == 1) {
    return std::to_string(addr[3]) + "." + std::to_string(addr[2]) + "." + std::to_string(addr[1]) + "." +
           std::to_string(addr[0]) + ".in-addr.arpa";
  }
  if (inet_pton(AF_INET6, id.value.c_str(), addr) != 1) {
    return id.value;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 15; i >= 0; --i) {
    out += kHex[addr[i] & 0xf];
    out += '.';
    out += kHex[addr[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

// The certificate names exactly the identifier (RFC 8737 section 3).
bool sanIsExactly(X509* cert, const Identifier& id) {
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names || sk_GENERAL_NAME_num(names.get()) != 1) {
    return false;
  }
  const GENERAL_NAME* gen = sk_GENERAL_NAME_value(names.get(), 0);
  if (id.type == "ip") {
    unsigned char addr[16];
    const int family = id.value.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    const int len = family == AF_INET ? 4 : 16;
    return gen->type == GEN_IPADD && inet_pton(family, id.value.c_str(), addr) == 1 &&
           ASN1_STRING_length(gen->d.iPAddress) == len &&
           std::memcmp(ASN1_STRING_get0_data(gen->d.iPAddress), addr, static_cast<size_t>(len)) == 0;
  }
  if (gen->type != GEN_DNS) {
    return false;
  }
  const std::string dns(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gen->d.dNSName)),
                        static_cast<size_t>(ASN1_STRING_length(gen->d.dNSName)));
  return strcasecmp(dns.c_str(), id.value.c_str()) == 0;
}

// The critical id-pe-acmeIdentifier extension holds SHA-256(key authorization).
bool acmeIdentifierMatches(X509* cert, const std::string& keyAuthorization) {
  Asn1ObjectPtr oid(OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1));
  const int idx = oid ? X509_get_ext_by_OBJ(cert, oid.get(), -1) : -1;
  if (idx < 0) {
    return false;
  }
  X509_EXTENSION* ext = X509_get_ext(cert, idx);
  if (X509_EXTENSION_get_critical(ext) != 1) {
    return false;
  }
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  const unsigned char* p = ASN1_STRING_get0_data(value);
  Asn1OctetPtr inner(d2i_ASN1_OCTET_STRING(nullptr, &p, ASN1_STRING_length(value)));
  const std::string want = sha256(keyAuthorization);
  return inner && ASN1_STRING_length(inner.get()) == static_cast<int>(want.size()) &&
         std::memcmp(ASN1_STRING_get0_data(inner.get()), want.data(), want.size()) == 0;
}

Json validateTlsAlpn01(const ValidationTarget& t, const ValidationSettings& s) {
  const std::string where = t.identifier.value + ":" + std::to_string(s.tlsPort);
  std::string error;
  const int fd = dialTcp(t.identifier.value, s.tlsPort, s.timeout, error);
  if (fd < 0) {
    return problem("connection", error);
  }
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SslPtr ssl(ctx ? SSL_new(ctx.get()) : nullptr);
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
    close(fd);
    return problem("serverInternal", "cannot create a TLS client");
  }
  static constexpr unsigned char kAlpn[] =
      "\x0a"
      "acme-tls/1";
  SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof kAlpn - 1);
  const std::string sni = sniFor(t.identifier);
  SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
  SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);  // the self-signed challenge certificate
  const int rc = SSL_connect(ssl.get());
  Json result = nullptr;
  const unsigned char* proto = nullptr;
  unsigned int protoLen = 0;
  if (rc != 1) {
    result = problem("tls", "TLS handshake with " + where + " failed");
  } else if (SSL_get0_alpn_selected(ssl.get(), &proto, &protoLen),
             std::string_view(reinterpret_cast<const char*>(proto), protoLen) != "acme-tls/1") {
    result = problem("tls", where + " did not negotiate the acme-tls/1 protocol");
  } else {
    X509Ptr cert(SSL_get1_peer_certificate(ssl.get()));
    if (!cert || !sanIsExactly(cert.get(), t.identifier)) {
      result = problem("incorrectResponse",
                       where + ": the certificate does not name exactly " + t.identifier.value);
    } else if (!acmeIdentifierMatches(cert.get(), t.keyAuthorization)) {
      result = problem("incorrectResponse", where + ": the acmeIdentifier extension does not match");
    }
    SSL_shutdown(ssl.get());
  }
  ssl.reset();
  close(fd);
  return result;
}

Json validateDns01(const ValidationTarget& t, const ValidationSettings& s) {
  const std::string name = "_acme-challenge." + t.identifier.value;
  const std::string want = sha256Base64url(t.keyAuthorization);
  try {
    dns::QueryOptions opts;
    opts.timeout = s.timeout;
    const dns::DnsReply reply = dns::query(name, LDNS_RR_TYPE_TXT, dns::systemNameServers(), opts);
    for (const auto& rr : reply.answer) {
      if (rr.type == LDNS_RR_TYPE_TXT && rr.data == want) {
        return nullptr;
      }
    }
    return problem("incorrectResponse", "no TXT record at " + name + " holds the key authorization digest (" +
                                            reply.rcodeName() + ", " + std::to_string(reply.answer.size()) +
                                            " answers)");
  } catch (const dns::DnsError& e) {
    return problem("dns", "looking up TXT " + name + ": " + e.what());
  }
}

}  // namespace

Json validateChallenge(const ValidationTarget& target, const ValidationSettings& settings) {
  if (target.type == "http-01") {
    return validateHttp01(target, settings);
  }
  if (target.type == "tls-alpn-01") {
    return validateTlsAlpn01(target, settings);
  }
  if (target.type == "dns-01") {
    return validateDns01(target, settings);
  }
  return problem("malformed", "unknown challenge type " + target.type);
}

}  // namespace gatehouse::acme::server
