#pragma once
// The storage cleaning schedule of a runtime (acme/manager/storage_clean_schedule.h): Caddy
// 2.6.2 runs it whenever its TLS app starts, which the HTTP app always loads, so every
// config with an http or tls app gets one; apps.tls.disable_storage_clean (`storage_clean_interval
// off`, Caddy 2.7+) turns it off.

#include <memory>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::acme {
class StorageCleanHistory;
class StorageCleanSchedule;
}  // namespace gatehouse::acme

namespace gatehouse::provision {

// Null when the config has no http/tls app or disables cleaning. `history` is the running
// runtime's (on a reload), so a reload does not clean again too soon.
std::shared_ptr<acme::StorageCleanSchedule> provisionStorageCleaning(
    const config::Config& config, std::shared_ptr<acme::StorageCleanHistory> history);

}  // namespace gatehouse::provision
