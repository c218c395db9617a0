#pragma once
// The ACME account (RFC 8555 section 7.3): reuse the one in storage (its URL learned with
// onlyReturnExisting, as certmagic does, since the URL is not always stored), else register
// a new one, with External Account Binding when configured, and store it in certmagic's
// layout (acme/<issuer>/users/<email>/<user>.key|.json) so Caddy can use it too.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "log/acme_log.h"
#include "protocol/acme_client.h"
#include "storage/storage.h"

namespace gatehouse::acme {

struct ExternalAccountBinding {
  std::string keyId;
  std::string macKey;  // base64url, as CAs hand it out
};

// Where EAB credentials come from when none are configured and a new account is to be
// registered (the zerossl issuer asks ZeroSSL's API): calls back with them or an error.
using EabSource = std::function<void(std::function<void(std::optional<AcmeError>, ExternalAccountBinding)>)>;

struct AccountSettings {
  std::string email;
  std::optional<ExternalAccountBinding> eab;
  EabSource fetchEab;  // unset: register without EAB when `eab` is empty
};

// Leaves `client` signing with the account's key and URL (kid), then calls `done`.
void ensureAccount(const std::shared_ptr<AcmeClient>& client, Storage& storage,
                   const AccountSettings& settings, const AcmeLog& log,
                   std::function<void(std::optional<AcmeError>)> done);

}  // namespace gatehouse::acme
