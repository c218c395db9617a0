// The templates directive: evaluates responses as templates (Caddy's templates handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {

// templates [<matcher>] {
//     mime       <types...>
//     between    <open_delim> <close_delim>
//     root       <path>
//     extensions {
//         <module> ...
//     }
// }
//
// Like Caddy, other subdirective names are ignored.
config::Handler parseTemplates(Helper& h) {
  h.next();  // the directive name
  Json fields = Json::object();
  std::string root;
  std::vector<std::string> mime;
  std::vector<std::string> delims;
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
    } else if (h.val() == "extensions") {
      if (h.nextArg()) {
        throw h.argErr();
      }
      for (int nesting = h.nesting(); h.nextBlock(nesting);) {
        // No template function extensions are built in.
        const std::string id = "http.handlers.templates.functions." + h.val();
        throw h.err("getting module named '" + id + "': " + handler_util::moduleNotRegistered(id));
      }
    }
  }
  if (!root.empty()) fields["file_root"] = root;
  if (!mime.empty()) fields["mime_types"] = mime;
  if (!delims.empty()) fields["delimiters"] = delims;
  return config::Handler{"templates", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
