// The `pki` global option:
//
// pki {
//     ca [<id>] {
//         name <name>
//         root_cn <name>
//         intermediate_cn <name>
//         intermediate_lifetime <duration>
//         maintenance_interval <duration>
//         renewal_window_ratio <ratio>
//         root { cert <path>; key <path>; format <format> }
//         intermediate { cert <path>; key <path>; format <format> }
//     }
// }
//
// Stored as the PKI app JSON {"certificate_authorities": {<id>: CA JSON}}; "local" is the
// default CA id.
#include "options/option_specs.h"
#include "options/option_util.h"

namespace gatehouse::parser::options {
namespace {

// A root/intermediate block; a second block of the same kind fills in the same key pair, as
// caddy 2.6.2 allocates it only once.
Json parseKeyPair(Dispenser& d, const std::string& which, Json kp) {
  if (!kp.is_object())
    kp = Json::object();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (key == "cert") {
      kp["certificate"] = oneArg(d);
    } else if (key == "key") {
      kp["private_key"] = oneArg(d);
    } else if (key == "format") {
      kp["format"] = oneArg(d);
    } else {
      throw d.err("unrecognized pki ca " + which + " option '" + key + "'");
    }
  }
  Json ordered = Json::object();  // the key pair's fields in Caddy's (struct) order
  for (const char* field : {"certificate", "private_key", "format"}) {
    if (kp.contains(field))
      ordered[field] = kp[field];
  }
  return ordered;
}

Json parseCa(Dispenser& d, std::string& id) {
  id = "local";
  if (d.nextArg()) {
    id = d.val();
    if (d.nextArg())
      throw d.argErr();
  }
  Json ca = Json::object();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (key == "name") {
      ca["name"] = oneArg(d);
    } else if (key == "root_cn") {
      ca["root_common_name"] = oneArg(d);
    } else if (key == "intermediate_cn") {
      ca["intermediate_common_name"] = oneArg(d);
    } else if (key == "intermediate_lifetime" || key == "maintenance_interval") {
      std::string text = oneArg(d);
      ca[key] = durationArg(d, text);
    } else if (key == "renewal_window_ratio") {
      std::string text = oneArg(d);
      auto ratio = parseFloat(text);
      if (!ratio)
        throw d.err("invalid renewal_window_ratio: " + text);
      ca[key] = *ratio;
    } else if (key == "root" || key == "intermediate") {
      ca[key] = parseKeyPair(d, key, ca.contains(key) ? ca[key] : Json::object());
    } else {
      throw d.err("unrecognized pki ca option '" + key + "'");
    }
  }
  return ca;
}

// A later pki option replaces an earlier one, and a later `ca` block of the same id replaces
// the earlier block, as in caddy 2.6.2.
Json parsePki(Dispenser& d, const Json*) {
  Json pki = Json{{"certificate_authorities", Json::object()}};
  d.next();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() != "ca")
      throw d.err("unrecognized pki option '" + d.val() + "'");
    std::string id;
    Json ca = parseCa(d, id);
    pki["certificate_authorities"][id] = ca;
  }
  return pki;
}

}  // namespace

const std::vector<OptionSpec>& pkiOptionSpecs() {
  static const std::vector<OptionSpec> kSpecs = {{"pki", parsePki}};
  return kSpecs;
}

}  // namespace gatehouse::parser::options
