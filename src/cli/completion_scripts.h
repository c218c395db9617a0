#pragma once
// The shell scripts `gatehouse completion SHELL` prints. Each asks the hidden
// `gatehouse __complete WORDS... PARTIAL` for candidates (cobra's protocol, as caddy's scripts:
// "word<TAB>description" lines, then ":N", N's bit 4 meaning "no file names").

#include <string_view>

namespace gatehouse::cli {

// The script for "bash", "zsh", "fish" or "powershell"; empty for another shell.
std::string_view completionScript(std::string_view shell);

}  // namespace gatehouse::cli
