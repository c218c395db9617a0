#pragma once
// Caddy placeholders ("{http.request.host}") compiled once at provision time into literal
// and key parts, then rendered per request without re-scanning the template.

#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

// The file matcher keeps {http.matchers.file.<name>} in Exchange::captures under this prefix
// followed by <name>; a {http.regexp.*} key can never spell it.
inline constexpr std::string_view kFileMatcherCapturePrefix =
    "\x1f"
    "file.";

// reverse_proxy keeps {http.reverse_proxy.<key>} (upstream.hostport, status_code ...) in
// Exchange::captures under this prefix followed by <key>.
inline constexpr std::string_view kProxyCapturePrefix =
    "\x1f"
    "rp.";

// Values handlers publish as placeholders at run time (Caddy's repl.Set: the outputs of
// `map`, {http.auth.user.id}), kept in Exchange::captures under this prefix + the key. They
// win over every other source, as Caddy's static replacer values do.
inline constexpr std::string_view kSetPlaceholderPrefix =
    "\x1f"
    "set.";
inline constexpr std::string_view kNilPlaceholderPrefix =
    "\x1f"
    "nil.";
void setPlaceholder(runtime::Exchange& ex, std::string_view key, std::string value);
[[nodiscard]] const std::string* findSetPlaceholder(const runtime::Exchange& ex, std::string_view key);
// A placeholder Caddy knows with a nil value (a `map` destination nothing matched and no
// default gave): "" everywhere, but "<nil>" where 2.6.2 formats it with %+v (rewrite queries).
void setNilPlaceholder(runtime::Exchange& ex, std::string_view key);
// Unknown, or known with a nil value (that, an unset {http.vars.*}).
[[nodiscard]] bool placeholderIsNil(std::string_view key, const runtime::Exchange& ex);

// Looks up one placeholder key for the exchange; false when the key is unknown.
bool lookupPlaceholder(std::string_view key, const runtime::Exchange& ex, std::string& out);

class Template {
 public:
  Template() = default;
  // `{` and `}` escaped with a backslash are literal; an unclosed `{` is literal.
  explicit Template(std::string_view text);

  // Unknown placeholders become "" (Caddy's ReplaceAll) or stay verbatim (ReplaceKnown).
  enum class Unknown { Empty, Keep };
  [[nodiscard]] std::string render(const runtime::Exchange& ex, Unknown unknown = Unknown::Empty) const;
  void renderTo(std::string& out, const runtime::Exchange& ex, Unknown unknown = Unknown::Empty) const;
  // Caddy's ReplaceAll(input, empty): an unknown or empty placeholder becomes `empty`.
  [[nodiscard]] std::string renderEmptyAs(const runtime::Exchange& ex, std::string_view empty) const;
  [[nodiscard]] bool literal() const { return literal_; }
  [[nodiscard]] const std::string& source() const { return source_; }

 private:
  struct Part {
    std::string text;  // literal text, or the key without braces
    bool key = false;
  };
  std::vector<Part> parts_;
  std::string source_;
  bool literal_ = true;
};

}  // namespace gatehouse::router
