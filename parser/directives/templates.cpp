// The templates directive: evaluates responses as templates (Caddy's templates handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {

// templates [<matcher>] {
//     mime       <types...>
//     between    <open_delim> <close_delim>
//     root       <path>
// }
//
// Like caddy 2.6.2, other subdirective names and arguments after the name are ignored; so is
// newer Caddy's `extensions { <module> ... }` block (2.6.2 has no Caddyfile form for it, and
// no template function modules are built in).
config::Handler parseTemplates(Helper& h) {
  Json fields = Json::object();
  std::string root;
  std::vector<std::string> mime;
  std::vector<std::string> delims;
  // Every token of the segment is tried as a block opener, as Caddy's `for h.Next()` loop:
  // arguments after the name are passed over and a block after them is still read.
  while (h.next()) {
    while (h.nextBlock(0)) {
      if (h.val() == "mime") {
        mime = h.remainingArgs();
        if (mime.empty()) {
          throw h.argErr();
        }
      } else if (h.val() == "between") {
        delims = h.remainingArgs();
        if (delims.size() != 2) {
          throw h.argErr();
        }
      } else if (h.val() == "root") {
        if (!handler_util::args(h, root)) {
          throw h.argErr();
        }
      }
    }
  }
  if (!root.empty())
    fields["file_root"] = root;
  if (!mime.empty())
    fields["mime_types"] = mime;
  if (!delims.empty())
    fields["delimiters"] = delims;
  return config::Handler{"templates", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
