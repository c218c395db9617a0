// reverse_proxy's `transport fastcgi { ... }` block (Caddy's fastcgi.Transport).

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {

// transport fastcgi {
//     root <path>
//     split <at...>
//     env <key> <value>
//     resolve_root_symlink
//     dial_timeout <duration>
//     read_timeout <duration>
//     write_timeout <duration>
//     capture_stderr
// }
Json unmarshalFastcgiTransport(Dispenser& d) {
  Json t = Json::object();
  // As caddy's loop over the segment: a token after the name (`transport fastcgi on {`) is
  // passed over and the block after it is still read.
  while (d.next()) {
    for (int n = d.nesting(); d.nextBlock(n);) {
      const std::string opt = d.val();
      if (opt == "root") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        setOrOmit(t, "root", d.val());
      } else if (opt == "split") {
        auto split = d.remainingArgs();
        if (split.empty()) {
          throw d.argErr();
        }
        t["split_path"] = split;
      } else if (opt == "env") {
        auto args = d.remainingArgs();
        if (args.size() != 2) {
          throw d.argErr();
        }
        child(t, "env")[args[0]] = args[1];
      } else if (opt == "resolve_root_symlink" || opt == "capture_stderr") {
        if (d.nextArg()) {
          throw d.argErr();
        }
        t[opt] = true;
      } else if (opt == "dial_timeout" || opt == "read_timeout" || opt == "write_timeout") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        setOrOmit(t, opt, durationOrThrow(d, d.val(), "bad timeout value " + d.val() + ": "));
      } else {
        throw d.err("unrecognized subdirective " + opt);
      }
    }
  }
  return t;
}

}  // namespace gatehouse::parser::proxy
