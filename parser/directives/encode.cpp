// The encode directive: compresses responses (Caddy's encode handler).
#include <algorithm>
#include <map>

#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "gatehouse/parser/matchers.h"
#include "options/option_util.h"

namespace gatehouse::parser {
namespace {

bool knownEncoder(const std::string& name) {
  return name == "gzip" || name == "zstd";
}

std::string atoiError(const std::string& text) {
  return "strconv.Atoi: parsing \"" + text + "\": invalid syntax";
}

// gzip [<level>]
Json parseGzip(Dispenser& d) {
  Json cfg = Json::object();
  while (d.next()) {
    if (!d.nextArg()) {
      continue;
    }
    auto level = options::parseInt(d.val());
    if (!level) {
      throw d.err(atoiError(d.val()));
    }
    if (*level != 0) {
      cfg["level"] = *level;
    } else {
      cfg.erase("level");
    }
  }
  return cfg;
}

// zstd [<level>] {
//     disable_checksum
// }
//
// Caddy 2.6.2's zstd took no options and skipped whatever followed it (arguments and block
// alike); newer Caddy reads a level name and `disable_checksum`. Those are honoured; anything
// else is what a 2.6.2 Caddyfile may hold, so it is skipped as 2.6.2 skips it (newer Caddy
// refuses it) with a warning, rather than refusing a configuration 2.6.2 runs.
Json parseZstd(Helper& h, Dispenser& d) {
  static const std::vector<std::string> kLevels = {"fastest", "default", "better", "best"};
  Json cfg = Json::object();
  d.next();  // the encoder name
  std::vector<std::string> args = d.remainingArgs();
  bool ignored = args.size() > 1;
  if (!args.empty()) {
    if (std::find(kLevels.begin(), kLevels.end(), args[0]) != kLevels.end()) {
      cfg["level"] = args[0];
    } else {
      ignored = true;
    }
  }
  while (d.nextBlock(0)) {
    if (d.val() == "disable_checksum" && !d.nextArg()) {
      cfg["checksum"] = false;
      continue;
    }
    ignored = true;  // every other token, nested blocks included, is visited and skipped
  }
  if (ignored) {
    h.warn(
        "encode: zstd options other than a level name (fastest, default, better, best) and "
        "disable_checksum are ignored, as Caddy 2.6.2 ignores them");
  }
  return cfg;
}

// An encoder configured by its own line (and block) inside encode's block.
Json parseEncoderModule(Helper& h, const std::string& name) {
  if (!knownEncoder(name)) {
    const std::string id = "http.encoders." + name;
    throw h.err("getting module named '" + id + "': " + handler_util::moduleNotRegistered(id));
  }
  Dispenser d = h.newFromNextSegment();
  return name == "gzip" ? parseGzip(d) : parseZstd(h, d);
}

Json responseMatcher(Helper& h) {
  Dispenser sub = h.newFromNextSegment();
  sub.next();  // onto "match", the matcher's name
  return parseResponseMatcher(sub);
}

void addFormat(Helper& h, const std::string& format, std::map<std::string, Json>& encodings,
               std::vector<std::string>& prefer) {
  if (!knownEncoder(format)) {
    throw h.err("finding encoder module '': module not registered: http.encoders." + format);
  }
  encodings[format] = Json::object();
  prefer.push_back(format);
}

}  // namespace

// encode [<matcher>] <formats...> {
//     gzip           [<level>]
//     zstd           [<level>]
//     minimum_length <length>
//     match {
//         status <code...>
//         header <field> [<value>]
//     }
//     match [header <field> [<value>]] | [status <code...>]
// }
//
// Formats on the first line use their defaults; with none at all, zstd and gzip.
config::Handler parseEncode(Helper& h) {
  h.next();  // the directive name
  std::map<std::string, Json> encodings;
  std::vector<std::string> prefer;
  long long minLength = 0;
  Json match;

  // Caddy 2.6.2 takes the first line's formats before the block: they come first in
  // `prefer`, and an unknown one is reported before anything in the block.
  for (const auto& format : h.remainingArgs()) {
    addFormat(h, format, encodings, prefer);
  }

  while (h.nextBlock(0)) {
    const std::string name = h.val();
    if (name == "minimum_length") {
      if (!h.nextArg()) {
        throw h.argErr();
      }
      auto n = options::parseInt(h.val());
      if (!n) {
        throw h.err(atoiError(h.val()));
      }
      minLength = *n;
    } else if (name == "match") {
      match = responseMatcher(h);
    } else {
      encodings[name] = parseEncoderModule(h, name);
      prefer.push_back(name);
    }
  }

  if (prefer.empty()) {
    for (const char* format : {"zstd", "gzip"}) {
      addFormat(h, format, encodings, prefer);
    }
  }

  Json fields = Json::object();
  fields["encodings"] = handler_util::sortedObject(encodings);
  fields["prefer"] = prefer;
  if (minLength != 0) {
    fields["minimum_length"] = minLength;
  }
  if (!match.is_null()) {
    fields["match"] = match;
  }
  return config::Handler{"encode", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
