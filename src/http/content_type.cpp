#include "http/content_type.h"

#include "http/mime_table.h"

namespace gatehouse::http {

std::string_view contentTypeByExtension(std::string_view name) {
  size_t slash = name.rfind('/');
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return {};
  }
  return MimeTable::system().lookup(name.substr(dot));
}

}  // namespace gatehouse::http
