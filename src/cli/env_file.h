#pragma once
// `run --envfile FILE`: KEY=VALUE lines read as caddy 2.6.2 reads them. Lines are trimmed;
// blank lines and lines starting with '#' are skipped; an "export " prefix is dropped; text
// from a '#' on is a comment; a value starting with '"' runs to the line that ends with
// one (so it may span lines) and loses its outer quotes. Later lines win.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::cli {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// Throws std::runtime_error with caddy's message ("invalid key on line 3: ...").
EnvVars parseEnvFile(std::string_view text);

}  // namespace gatehouse::cli
