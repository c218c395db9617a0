#pragma once
// The system trust store `trust` and `untrust` change: Debian's
// /usr/local/share/ca-certificates, made effective by update-ca-certificates. The environment
// variable GATEHOUSE_TRUST_STORE=DIR names an isolated store instead (DIR/local for the
// installed roots, DIR/etc/ca-certificates.crt the bundle update-ca-certificates builds from
// them): tests and packaging use it so that nothing reaches the machine's real store.

#include <openssl/x509.h>

#include <string>

namespace gatehouse::cli {

struct TrustStore {
  std::string dir;       // where the roots are installed as .crt files
  std::string isolated;  // GATEHOUSE_TRUST_STORE, or "" for the system's
};

TrustStore trustStore();

// The system store needs root; prints why (naming `what`) and returns false when not root.
bool mayChange(const TrustStore& store, const char* what);

// Gatehouse's file name for a CA's root in the store.
std::string trustFileFor(const TrustStore& store, const std::string& caId);

// Writes `pem` as `file` and rebuilds the store; false after printing why.
bool installRoot(const TrustStore& store, const std::string& file, const std::string& pem);

// Removes every root Gatehouse installed in the store that is `cert` and rebuilds the store;
// how many were removed, or -1 after printing why.
int removeRoot(const TrustStore& store, const X509* cert);

// Removes `file` if installed and rebuilds the store; the count removed (0 or 1), -1 on error.
int removeFile(const TrustStore& store, const std::string& file);

}  // namespace gatehouse::cli
