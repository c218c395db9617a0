#include "router/regexp.h"

#include <re2/re2.h>

#include <vector>

#include "provision/provision_error.h"

namespace gatehouse::router {

Regexp::Regexp(const std::string& pattern, std::string name, const std::string& path)
    : re_(std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet)), name_(std::move(name)) {
  if (!re_->ok()) {
    throw provision::ProvisionError(path, "invalid regular expression '" + pattern + "': " + re_->error());
  }
}

Regexp::Regexp(Regexp&&) noexcept = default;
Regexp& Regexp::operator=(Regexp&&) noexcept = default;
Regexp::~Regexp() = default;

bool Regexp::match(std::string_view input, runtime::Exchange& ex) const {
  const int n = re_->NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(static_cast<size_t>(n));
  if (!re_->Match(re2::StringPiece(input.data(), input.size()), 0, input.size(), re2::RE2::UNANCHORED,
                  groups.data(), n)) {
    return false;
  }
  auto text = [&](int i) {
    const auto& g = groups[static_cast<size_t>(i)];
    return std::string(g.data(), g.size());
  };
  for (int i = 0; i < n; ++i) {
    if (!name_.empty()) {
      ex.setCapture(name_ + "." + std::to_string(i), text(i));
    }
    ex.setCapture(std::to_string(i), text(i));
  }
  for (const auto& [capName, index] : re_->NamedCapturingGroups()) {
    if (!name_.empty()) {
      ex.setCapture(name_ + "." + capName, text(index));
    }
    ex.setCapture(capName, text(index));
  }
  return true;
}

}  // namespace gatehouse::router
