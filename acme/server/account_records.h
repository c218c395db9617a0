#pragma once
// ACME server accounts in storage, so clients keep their accounts across restarts and
// reloads. Caddy keeps its acme_server state in a bbolt database
// (<data>/acme_server/<ca>/db); Gatehouse writes one JSON record per account under
// acme_server/<ca>/accounts/ in the same storage instead (not readable by Caddy).

#include <string>
#include <vector>

#include "server/server_model.h"
#include "storage/storage.h"

namespace gatehouse::acme::server {

std::string accountsPrefix(const std::string& caId);

// Every readable record; unreadable ones are skipped (a client then registers again).
std::vector<Account> loadAccounts(Storage& storage, const std::string& caId);
void storeAccount(Storage& storage, const std::string& caId, const Account& account);

}  // namespace gatehouse::acme::server
