#pragma once
// admin.config (caddy 2.6.2): `persist` (read where configs are autosaved,
// admin/config_autosave.h) and dynamic config loading: `load` with the "http" loader module and
// `load_delay`. What cannot be honoured is refused with its JSON path.

#include <optional>

#include "admin/config_loader_spec.h"
#include "gatehouse/config/site_graph.h"

namespace gatehouse::provision {

// The loader admin.config asks for, if any; throws ProvisionError.
std::optional<admin::ConfigLoaderSpec> provisionAdminConfig(const config::Json& value);

}  // namespace gatehouse::provision
