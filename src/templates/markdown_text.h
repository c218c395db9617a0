#pragma once
// Text helpers the markdown passes (templates/markdown_*.cpp) share.

#include <string>
#include <string_view>

namespace gatehouse::templates::markdown {

// '&', '<', '>' and '"' as goldmark escapes them in text and attributes.
std::string escapeHtml(std::string_view s);
// `s` without the spaces and tabs around it.
std::string trim(std::string_view s);
// Whether `l` is only spaces and tabs.
bool blank(const std::string& l);

}  // namespace gatehouse::templates::markdown
