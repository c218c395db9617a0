#pragma once
// Log levels as zap names them; an entry passes a log whose minimum it reaches.

#include <optional>
#include <string_view>

namespace gatehouse::log {

enum class Level { Debug = -1, Info = 0, Warn = 1, Error = 2, DPanic = 3, Panic = 4, Fatal = 5 };

// "info", "INFO", "warning" ... as Caddy accepts them; nullopt for anything else.
std::optional<Level> parseLevel(std::string_view name);
// Lower-case name, as the JSON encoder prints it ("info").
std::string_view levelName(Level level);

}  // namespace gatehouse::log
