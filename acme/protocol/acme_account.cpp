#include "protocol/acme_account.h"

#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "storage/storage_keys.h"

namespace gatehouse::acme {

namespace {
using Done = std::function<void(std::optional<AcmeError>)>;

struct AccountContext {
  std::shared_ptr<AcmeClient> client;
  Storage& storage;
  AccountSettings settings;
  const AcmeLog& log;
  std::string issuerKey;
  std::shared_ptr<const PrivateKey> key;
};

nlohmann::json registrationRecord(const AccountContext& ctx, const AcmeResponse& r) {
  nlohmann::json rec = r.json;
  rec["location"] = r.location;
  if (!rec.contains("contact") && !ctx.settings.email.empty()) {
    rec["contact"] = {"mailto:" + ctx.settings.email};
  }
  return rec;
}

void registerNew(const std::shared_ptr<AccountContext>& ctx, bool keyIsNew, Done done) {
  if (!ctx->settings.eab && ctx->settings.fetchEab) {
    // Only a new registration needs credentials (as certmagic's NewAccountFunc).
    auto fetch = std::move(ctx->settings.fetchEab);
    ctx->settings.fetchEab = nullptr;
    return fetch([ctx, keyIsNew, done](std::optional<AcmeError> err, ExternalAccountBinding eab) {
      if (err)
        return done(err);
      ctx->settings.eab = std::move(eab);
      registerNew(ctx, keyIsNew, done);
    });
  }
  nlohmann::json payload = {{"termsOfServiceAgreed", true}};
  if (!ctx->settings.email.empty())
    payload["contact"] = {"mailto:" + ctx->settings.email};
  const auto& dir = ctx->client->directory();
  if (ctx->settings.eab) {
    try {
      payload["externalAccountBinding"] =
          signEab(ctx->settings.eab->keyId, ctx->settings.eab->macKey, dir.newAccount, publicJwk(*ctx->key));
    } catch (const std::exception& e) {
      return done(AcmeError{std::string("external account binding: ") + e.what(), std::nullopt, {}});
    }
  } else if (dir.externalAccountRequired) {
    return done(AcmeError{"the CA requires external account binding: configure acme_eab", std::nullopt, {}});
  }
  ctx->client->setAccount(ctx->key, "");
  ctx->client->post(
      dir.newAccount, payload, [ctx, keyIsNew, done](std::optional<AcmeError> err, AcmeResponse r) {
        if (err) {
          err->message = "registering an ACME account: " + err->message;
          return done(err);
        }
        if (r.location.empty())
          return done(AcmeError{"newAccount response has no Location", std::nullopt, {}});
        try {
          // The key is stored only now that the CA accepted it, next to its registration.
          if (keyIsNew) {
            ctx->storage.store(storage_keys::accountPrivateKey(ctx->issuerKey, ctx->settings.email),
                               ctx->key->toPem());
          }
          ctx->storage.store(storage_keys::accountRegistration(ctx->issuerKey, ctx->settings.email),
                             registrationRecord(*ctx, r).dump(2));
        } catch (const std::exception& e) {
          return done(AcmeError{std::string("storing the ACME account: ") + e.what(), std::nullopt, {}});
        }
        ctx->client->setAccount(ctx->key, r.location);
        ctx->log.info("tls.issuance.acme", "new ACME account registered",
                      {{"contact", ctx->settings.email}, {"location", r.location}});
        done(std::nullopt);
      });
}

void lookUpExisting(const std::shared_ptr<AccountContext>& ctx, Done done) {
  ctx->client->setAccount(ctx->key, "");
  ctx->client->post(
      ctx->client->directory().newAccount, nlohmann::json{{"onlyReturnExisting", true}},
      [ctx, done](std::optional<AcmeError> err, AcmeResponse r) {
        if (err && err->problem && err->problem->is("accountDoesNotExist")) {
          // The CA forgot us (a test CA restarted, or another CA at this URL).
          ctx->log.warn("tls.issuance.acme", "stored ACME account unknown to the CA; registering",
                        {{"ca", ctx->client->directoryUrl()}});
          return registerNew(ctx, false, done);
        }
        if (err) {
          err->message = "looking up the stored ACME account: " + err->message;
          return done(err);
        }
        if (r.location.empty()) {
          return done(AcmeError{"account lookup response has no Location", std::nullopt, {}});
        }
        ctx->client->setAccount(ctx->key, r.location);
        ctx->log.info("tls.issuance.acme", "using stored ACME account", {{"location", r.location}});
        done(std::nullopt);
      });
}
void ensureAccountWithDirectory(const std::shared_ptr<AcmeClient>& client, Storage& storage,
                                const AccountSettings& settings, const AcmeLog& log, Done done) {
  auto ctx = std::make_shared<AccountContext>(AccountContext{
      client, storage, settings, log, storage_keys::issuerKey(client->directoryUrl()), nullptr});
  std::optional<std::string> pem;
  const std::string keyKey = storage_keys::accountPrivateKey(ctx->issuerKey, settings.email);
  try {
    pem = storage.load(keyKey);
    if (pem)
      ctx->key = std::make_shared<const PrivateKey>(PrivateKey::fromPem(*pem));
  } catch (const std::exception& e) {
    // Named, and left in place: a damaged key may still be recovered by hand, whereas a new
    // registration would abandon the account (and its rate-limit history) for good.
    return done(AcmeError{
        "loading the stored ACME account key " + keyKey + " (in " + storage.describe() + "): " + e.what(),
        std::nullopt,
        {}});
  }
  if (ctx->key)
    return lookUpExisting(ctx, std::move(done));
  try {
    ctx->key = std::make_shared<const PrivateKey>(PrivateKey::generate(KeyType::P256));
  } catch (const std::exception& e) {
    return done(AcmeError{e.what(), std::nullopt, {}});
  }
  registerNew(ctx, true, std::move(done));
}

}  // namespace

void ensureAccount(const std::shared_ptr<AcmeClient>& client, Storage& storage,
                   const AccountSettings& settings, const AcmeLog& log, Done done) {
  if (!client->kid().empty()) {
    // Already set up by an earlier issuance in this process.
    return client->loadDirectory(std::move(done));
  }
  client->loadDirectory([client, &storage, settings, &log, done](std::optional<AcmeError> err) {
    if (err)
      return done(err);
    ensureAccountWithDirectory(client, storage, settings, log, done);
  });
}

}  // namespace gatehouse::acme
