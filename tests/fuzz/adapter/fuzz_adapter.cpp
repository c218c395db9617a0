// libFuzzer driver over the whole Caddyfile front end: lexer, parser (imports, snippets, env),
// and adapter. Any input must end in a config or a ConfigError: never a crash, a hang, or
// another exception escaping.

#include <cstddef>
#include <cstdint>
#include <string>

#include "gatehouse/parser/adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  gatehouse::parser::ParseOptions options;
  // Environment lookups stay deterministic: only FUZZ_VAR exists.
  options.getenv = [](const std::string& name, std::string& value) {
    if (name == "FUZZ_VAR") {
      value = "example.com";
      return true;
    }
    return false;
  };
  try {
    (void)gatehouse::parser::adaptCaddyfile(text, "Caddyfile", options);
  } catch (const gatehouse::parser::ConfigError&) {
    // Rejected with a positioned error: the expected outcome for most inputs.
  }
  return 0;
}
