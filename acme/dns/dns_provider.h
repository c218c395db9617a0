#pragma once
// A DNS provider puts a TXT record into a zone and takes it out again (libdns's
// RecordAppender/RecordDeleter, which the caddy-dns plugins implement). Calls start on the
// manager's (or `gatehouse certs`') loop and complete later on it; blocking work happens on a
// worker thread (off_loop.h), HTTP APIs go through the loop's curl multi client.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::acme::dns {

struct TxtRecord {
  std::string zone;             // apex, absolute ("example.com."); "" for providers that need none
  std::string fqdn;             // absolute ("_acme-challenge.example.com.")
  std::string value;            // the base64url digest
  std::chrono::seconds ttl{0};  // 0 = the provider's default
};

class DnsProvider {
 public:
  // nullopt on success, else what went wrong (secrets never included).
  using Done = std::function<void(std::optional<std::string>)>;

  virtual ~DnsProvider() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Whether present/cleanUp need TxtRecord::zone (found by SOA lookups first).
  [[nodiscard]] virtual bool needsZone() const { return true; }
  virtual void present(const TxtRecord& record, Done done) = 0;
  virtual void cleanUp(const TxtRecord& record, Done done) = 0;
  // The loop is shutting down: cancel what is in flight (callbacks may not run).
  virtual void shutdown() {}
};

// "_acme-challenge.example.com." in zone "example.com." -> "_acme-challenge" ("@" at the apex).
std::string relativeName(const std::string& fqdn, const std::string& zone);

}  // namespace gatehouse::acme::dns
