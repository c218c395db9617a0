#pragma once
// Go's regexp.Expand: fills a template ($1, ${1}, $name, ${name}, $$) with the submatches
// of one match, for handlers that take Go templates in their JSON (map).

#include <re2/re2.h>

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::handlers {

// `groups` holds every submatch of one match of `re` (groups[0] = the whole match); an
// unmatched group is an empty view with a null data pointer. As in Go, a reference to a
// group that does not exist or did not match expands to nothing, and a `$` that starts no
// valid reference is literal.
std::string goExpand(std::string_view tmpl, const re2::RE2& re, const std::vector<std::string_view>& groups);

// Go's Regexp.ReplaceAllString: every match of `re` in `input` replaced by `tmpl` expanded
// with that match's groups; an empty match right after a match is not replaced.
std::string goReplaceAll(const re2::RE2& re, std::string_view input, std::string_view tmpl);

// Finds the first match of `re` in `input`; fills `groups` (NumberOfCapturingGroups()+1).
bool firstMatch(const re2::RE2& re, std::string_view input, std::vector<std::string_view>& groups);

}  // namespace gatehouse::handlers
