#pragma once
// A compiled RE2 pattern that records Caddy's capture placeholders on a match:
// {http.regexp.<name>.<index>}, {http.regexp.<name>.<group name>} and the unnamed forms.

#include <memory>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace re2 {
class RE2;
}

namespace gatehouse::router {

class Regexp {
 public:
  // Throws provision::ProvisionError naming `path` for an invalid pattern.
  Regexp(const std::string& pattern, std::string name, const std::string& path);
  Regexp(Regexp&&) noexcept;
  Regexp& operator=(Regexp&&) noexcept;
  ~Regexp();
  // Unanchored search; on success stores the captures in `ex`.
  bool match(std::string_view input, runtime::Exchange& ex) const;

 private:
  std::unique_ptr<re2::RE2> re_;
  std::string name_;
};

}  // namespace gatehouse::router
