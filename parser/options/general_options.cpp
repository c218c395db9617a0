// General global options: ports, durations, admin, storage, auto_https, default_bind,
// metrics and the simple flags. Shapes are documented in global_options.cpp;
// `order` is taken out before these run (httptype/directive_order.cpp).
#include <algorithm>

#include "gatehouse/parser/directive_table.h"
#include "options/option_specs.h"
#include "options/option_util.h"

namespace gatehouse::parser::options {
namespace {

// Flags: Caddy ignores anything after the option name.
Json parseTrue(Dispenser&, const Json*) {
  return true;
}

Json parseSingleString(Dispenser& d, const Json*) {
  d.next();
  std::string value = onlyArg(d);
  // Caddy 2.6.2 takes any further token, a block's '{' too, as one argument too many.
  if (d.next())
    throw d.argErr();
  return value;
}

// http_port, https_port: 2.6.2 loops over every token of the option, each taking exactly one
// argument, so a block after the port is refused at its `{` ("unexpected token '{', expecting
// argument"), and a second argument names the port it follows.
Json parsePort(Dispenser& d, const Json*) {
  long long port = 0;
  while (d.next()) {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    const std::string text = d.val();
    if (d.nextArg()) {
      d.prev();
      throw d.argErr();
    }
    auto parsed = parseInt(text);
    if (!parsed) {
      throw d.err("converting port '" + text + "' to integer value: strconv.Atoi: parsing \"" + text +
                  "\": invalid syntax");
    }
    port = *parsed;
  }
  return port;
}

// grace_period, shutdown_delay, renew_interval, ocsp_interval (and storage_clean_interval
// but "off"): Caddy reads one duration and leaves any further tokens unread, unchecked.
Json parseDurationOpt(Dispenser& d, const Json*) {
  d.next();
  std::string text = oneArg(d);
  return durationArg(d, text);
}

// storage_clean_interval accepts "off" to disable cleaning altogether.
Json parseStorageCleanInterval(Dispenser& d, const Json* existing) {
  d.next();
  if (d.peekVal() == "off") {
    d.next();
    if (d.nextArg())
      throw d.argErr();
    return false;
  }
  d.prev();
  return parseDurationOpt(d, existing);
}

Json parseStorageCheck(Dispenser& d, const Json*) {
  d.next();
  std::string v = onlyArg(d);
  if (v != "off")
    throw d.err("storage_check must be 'off'");
  return v;
}

Json parsePersistConfig(Dispenser& d, const Json*) {
  d.next();
  std::string v = onlyArg(d);
  if (v != "off")
    throw d.err("persist_config must be 'off'");
  return v;
}

// storage <module> [...]: only the built-in file_system module is known.
Json parseStorage(Dispenser& d, const Json*) {
  d.next();
  std::string mod = oneArg(d);
  if (mod != "file_system") {
    throw d.err("getting module named 'caddy.storage." + mod + "': module not registered: caddy.storage." +
                mod);
  }
  const Location moduleAt = d.location();
  Json out = {{"module", mod}};
  if (d.nextArg()) {
    out["root"] = d.val();
    if (d.nextArg())
      throw d.argErr();
  }
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() != "root")
      throw d.err("unrecognized parameter '" + d.val() + "'");
    if (out.contains("root"))
      throw d.err("root already set");
    out["root"] = onlyArg(d);
  }
  // Caddy's file_system storage has no default root of its own in the Caddyfile.
  if (!out.contains("root"))
    throw ConfigError(moduleAt, "missing root path (to use default, omit storage config entirely)");
  return out;
}

Json parseAdmin(Dispenser& d, const Json*) {
  d.next();
  Json cfg = Json::object();
  bool disabled = false;
  if (d.nextArg()) {
    if (d.val() == "off") {
      disabled = true;
      cfg["disabled"] = true;
      if (d.next())
        throw d.err("No more option is allowed after turning off admin config");
    } else {
      cfg["listen"] = d.val();
      if (d.nextArg())
        throw d.argErr();
    }
  }
  bool enforce = false;
  Json origins;
  while (d.nextBlock(0)) {
    if (d.val() == "enforce_origin") {
      enforce = true;
    } else if (d.val() == "origins") {
      origins = d.remainingArgs();
    } else {
      throw d.err("unrecognized parameter '" + d.val() + "'");
    }
  }
  if (!disabled && !cfg.contains("listen"))
    cfg["listen"] = "localhost:2019";
  if (enforce)
    cfg["enforce_origin"] = true;
  if (origins.is_array() && !origins.empty())
    cfg["origins"] = origins;
  return cfg;
}

// auto_https takes exactly one value in caddy 2.6.2: any further token of the option (a
// second value, a block) is an argument-count error at that token; prefer_wildcard and lists of
// values are newer Caddy's.
Json parseAutoHttps(Dispenser& d, const Json*) {
  d.next();
  if (!d.next())
    throw d.argErr();
  const std::string val = d.val();
  if (d.next())
    throw d.argErr();
  if (val != "off" && val != "disable_redirects" && val != "disable_certs" && val != "ignore_loaded_certs") {
    throw d.err(
        "auto_https must be one of 'off', 'disable_redirects', 'disable_certs', or 'ignore_loaded_certs'");
  }
  return Json::array({val});
}

// default_bind <addresses...> [{ protocols ... }]. As in caddy 2.6.2 the addresses are
// required and a later default_bind replaces an earlier one; the protocols block is newer
// Caddy's (it mirrors the bind directive's, whose current fixture bind_fd_fdgram_h123 passes).
Json parseDefaultBind(Dispenser& d, const Json*) {
  d.next();
  auto addresses = d.remainingArgs();
  if (addresses.empty())
    throw d.argErr();
  Json entry = {{"addresses", addresses}, {"protocols", Json::array()}};
  while (d.nextBlock(0)) {
    if (d.val() != "protocols")
      throw d.err("unknown subdirective: " + d.val());
    auto protos = d.remainingArgs();
    if (protos.empty())
      throw d.err("protocols requires one or more arguments");
    entry["protocols"] = protos;
  }
  return Json::array({entry});
}

Json parseMetrics(Dispenser& d, const Json*) {
  d.next();
  if (d.nextArg())
    throw d.argErr();
  Json m = Json::object();
  while (d.nextBlock(0)) {
    if (d.val() == "per_host") {
      m["per_host"] = true;
    } else if (d.val() == "otlp") {
      m["otlp"] = true;
    } else {
      throw d.err("unrecognized metrics option '" + d.val() + "'");
    }
  }
  return m;
}

// events { on <event> <handler> ... }: caddy 2.6.2 registers no event handler module, so
// an `on` line is refused as its module lookup fails, any other line as an argument error;
// an empty block gives an events app with no subscriptions (which does nothing).
Json parseEvents(Dispenser& d, const Json*) {
  d.next();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() != "on")
      throw d.argErr();
    if (!d.nextArg() || !d.nextArg())
      throw d.argErr();
    const std::string handler = d.val();
    throw d.err("getting module named 'events.handlers." + handler +
                "': module not registered: events.handlers." + handler);
  }
  return Json::object();
}

}  // namespace

const std::vector<OptionSpec>& generalOptionSpecs() {
  static const std::vector<OptionSpec> kSpecs = {
      {"debug", parseTrue},
      {"events", parseEvents},
      {"http_port", parsePort},
      {"https_port", parsePort},
      {"default_bind", parseDefaultBind},
      {"grace_period", parseDurationOpt},
      {"shutdown_delay", parseDurationOpt},
      {"default_sni", parseSingleString},
      {"fallback_sni", parseSingleString},
      {"storage", parseStorage},
      {"storage_check", parseStorageCheck},
      {"storage_clean_interval", parseStorageCleanInterval},
      {"renew_interval", parseDurationOpt},
      {"ocsp_interval", parseDurationOpt},
      {"admin", parseAdmin},
      {"persist_config", parsePersistConfig},
      {"auto_https", parseAutoHttps},
      {"metrics", parseMetrics},
      {"skip_install_trust", parseTrue},
      {"local_certs", parseTrue},
      {"email", parseSingleString},
      {"acme_ca", parseSingleString},
      {"acme_ca_root", parseSingleString},
      {"key_type", parseSingleString},
      {"cert_lifetime", parseDurationOpt},
  };
  return kSpecs;
}

}  // namespace gatehouse::parser::options
