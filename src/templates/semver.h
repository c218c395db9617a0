#pragma once
// Masterminds/semver v3 (what Sprig's semver and semverCompare use): lenient version
// parsing ("v1.2" is 1.2.0), precedence, and constraint checks (^ ~ ranges, x wildcards,
// comma/space AND, || OR) with its rule that pre-releases match only constraints that
// name one.

#include <cstdint>
#include <string>
#include <vector>

namespace gatehouse::templates {

struct SemVersion {
  uint64_t major = 0, minor = 0, patch = 0;
  std::string pre, metadata, original;

  [[nodiscard]] std::string str() const;  // "1.2.3-pre+meta"
  [[nodiscard]] int compare(const SemVersion& o) const;
};

// semver.NewVersion; throws TemplateError with the library's text ("Invalid Semantic Version").
SemVersion parseSemVersion(const std::string& text);

// semver.NewConstraint(...).Check(v); throws TemplateError ("improper constraint: ...").
bool semverSatisfies(const std::string& constraint, const SemVersion& v);

}  // namespace gatehouse::templates
