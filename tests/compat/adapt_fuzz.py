#!/usr/bin/env python3
"""Differential adapter fuzzer: generated Caddyfiles adapted by Debian's caddy 2.6.2 and by
gatehouse must give the same JSON (compared parsed), or both fail, gatehouse's error naming
the FILE:LINE caddy names. Optionally `fmt` output (--fmt) and `validate` exit codes
(--validate) are compared too. Cases come from adapt_gen.py; case i of seed S uses the
generator seed S*1000003+i, so `--seed S --only i` reproduces one case.

Usage: adapt_fuzz.py <gatehouse> [--cases N] [--seed S] [--time-limit SEC] [--fmt] [--validate]
                     [--keep DIR] [--only I] [--verbose]
Exit 0 when no unexplained difference was found, 1 otherwise, 77 when caddy is missing.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adapt_gen  # noqa: E402
import adapt_tls_policies  # noqa: E402

# The same environment for both programs ({$VAR} placeholders, no writes to the real home).
ENV_VARS = {"SITE_ADDR": "env.example.com", "ACME_EMAIL": "env@example.com", "LOGDIR": "/tmp/logs"}

# Differences that are explained, so they are listed but do not fail the run.
# NEWER: Gatehouse follows newer Caddy on purpose (Caddy's current adapter fixtures, which
# `adapt_corpus` passes, or a later Caddy fix the README lists); 2.6.2 gives the other answer.
# PENDING: a real difference from caddy 2.6.2 that is not fixed yet (README, Status/Adapter).
NEWER, PENDING = "newer Caddy", "pending"
# PRECISE: both refuse the same error; 2.6.2 names another line only because the error came
# without a position and the enclosing directive's wrapper used its own cursor.
PRECISE = "precise position"
# RANDOM: both refuse; 2.6.2 picks which error to report from a Go map, so it varies by run.
RANDOM = "random order"
# CRASH: caddy 2.6.2 panics on a config gatehouse takes.
CRASH = "caddy 2.6.2 crash"
# AT_START: caddy validates a config it cannot run (it fails or panics at start); gatehouse
# refuses it at validate already.
AT_START = "refused before start"

POLICY_LAYOUT = ("automation policies in newer Caddy's layout, the same settings for every name "
                 "(global ACME options in a catch-all policy, alternate ports at adapt time, "
                 "no ZeroSSL default without an email; tests/compat/adapt_tls_policies.py)")

SNI_ORDER = "SNI and `automate` name lists are sorted (2.6.2 prints them in Go's random map order)"
HIDE_ORDER = ("file_server lists the hidden Caddyfile and imports in a fixed order (2.6.2 in "
              "Go's random map order)")
VARS_ORDER = ("vars routes of one directive list sort as newer Caddy's do (current fixtures "
              "sort_vars_in_reverse, map_and_vars_with_raw_types; 2.6.2 keeps equal-length paths in order)")
SNI_SHARED = ("each server of a site block on several ports matches its own names (2.6.2's servers "
              "share one connection policy: the last server's SNI list wins, a 2.6.2 bug)")

# JSON leaves: (regex on the leaf's path, predicate(caddy value, gatehouse value) or None, class, reason).
KNOWN_JSON = [
    (r"\.routes$", lambda c, g, *_: php_index_redirect_dropped(c, g), NEWER,
     "php_fastcgi adds its directory-index redirect only when try_files names the index "
     "(current fixture php_fastcgi_try_files_override_no_dir_index)"),
    (r"\.logger_names\.|\.logging\.logs\.default\.exclude", None, NEWER,
     "logger_names values are lists, excluded loggers listed once"),
    (r"\.headers\.Location\[0\]$|\.file\.try_policy$", None, NEWER,
     "php_fastcgi keeps the query in its redirect and uses first_exist_fallback"),
    (r"\.handle_response\[\d+\]\.routes", None, NEWER,
     "forward_auth copy_headers also clears headers the auth response lacks"),
    (r"\.upstreams$", lambda c, g, *_: "-" in json.dumps(c), NEWER, "port ranges of upstreams are expanded"),
    (r"\.group$", None, NEWER, "group numbers follow newer Caddy's route-block consolidation"),
    (r"\.routes$", lambda c, g, *_: isinstance(c, list) and isinstance(g, list) and len(c) > len(g), NEWER,
     "routes of a route block are consolidated like any subroute's"),
    (r"\.errors\.routes", None, NEWER, "each handle_errors block is its own subroute (status-code form)"),
    (r"\.response\.(set|add|replace|delete)\.|\.response\.deferred$", lambda c, g, path, text: path.endswith("deferred") or ">" + re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1]).lstrip(">") in text, NEWER,
     "`>Field` is a deferred header operation"),
    (r"\.(path_regexp|header_regexp\..+|vars_regexp\..+)\.name$", None, NEWER,
     "regexp matchers are named after their named matcher"),
    (r"\.expression$", lambda c, g, *_: isinstance(g, dict), NEWER, "expression matchers carry their matcher's name"),
    (r"\.handle\[\d+\]\.(lifetime|resolvers)$", None, NEWER,
     "acme_server's lifetime and resolvers (2.6.2 ignores them silently)"),
    (r"\.issuers", lambda c, g, *_: "zerossl" in json.dumps(c) or "zerossl" in json.dumps(g), NEWER,
     "zerossl issuer is newer Caddy's ACME-with-EAB form"),
    (r"\.issuers\[\d+\]\.(challenges\.dns|cname_validation)$", lambda c, g, path, text: "zerossl" in text, NEWER,
     "zerossl issuer is newer Caddy's form: its DNS settings are cname_validation, not challenges.dns"),
    (r"\.issuers\[\d+\]\.alt_http_port$", lambda c, g, path, text: "zerossl" in text and c is None, NEWER,
     "zerossl issuer is newer Caddy's form: its HTTP challenge port is alt_http_port"),
    (r"\.issuers\[\d+\]\.challenges(\.http)?$", lambda c, g, path, text: "zerossl" in text and (
        (g is None and isinstance(c, dict) and set(c) <= {"dns", "bind_host", "http"})
        or (c is None and path.endswith(".http") and isinstance(g, dict) and set(g) == {"alternate_port"})),
     NEWER,
     "zerossl issuer is newer Caddy's form: its DNS settings are cname_validation, and it has no "
     "challenges for a site `bind` host to reach"),
    (r"\.apps\.tls\.automation\.policies$", lambda c, g, *_: "zerossl" in json.dumps(c) and "zerossl" in json.dumps(g),
     NEWER, "zerossl issuer is newer Caddy's ACME-with-EAB form (global acme_ca stays in the catch-all policy)"),
    (r"\.health_checks\.active\.headers\.", None, NEWER,
     "health_headers lines naming one field add up (fixture reverse_proxy_health_headers; 2.6.2 keeps the last line)"),
    (r"\.hide$", lambda c, g, *_: isinstance(c, list) and isinstance(g, list) and set(c) <= set(g), NEWER,
     "file_server's hide lines add up (current fixture file_server_hide_repeated; 2.6.2 keeps the last)"),
    (r"\.apps\.http\.metrics$|\.servers\.[^.]+\.metrics$", None, NEWER, "metrics is an app-level option"),
    (r"\.(encodings|prefer)$", lambda c, g, *_: c is None, NEWER, "encode defaults to zstd and gzip"),
    (r"\.headers$", lambda c, g, *_: c is None and "text/html" in json.dumps(g), NEWER, "redir html sets text/html"),
    (r"", lambda c, g, *_: "{args[" in json.dumps(c), NEWER, "{args[N]} placeholders (2.6.2 knows only {args.N})"),
    (r"\.apps\.tls\.automation\.policies$", lambda c, g, *_: isinstance(c, list) and c and c[-1] == {}, NEWER,
     "a trailing empty automation policy is dropped"),
    (r"\.strip_path_prefix$", None, NEWER, "strip_prefix without a leading '/' is kept as written"),
    (r"\.on_demand\.(ask|permission)$", None, NEWER, "on_demand_tls ask becomes a permission module"),
    (r"\.ipv[46]_cidr$", lambda c, g, *_: c is None, NEWER, "ip_mask takes its CIDR sizes as arguments"),
    (r"\.client_authentication\.", None, NEWER, "client_auth trusted certificates go through a CA pool module"),
    (r"\.precompressed(_order)?$", lambda c, g, *_: c is None, NEWER, "precompressed without formats means br, zstd, gzip"),
    (r"\.logs\.skip_hosts", None, NEWER, "skip_hosts are sorted"),
    (r"\.encoder\.fields\.[^.]+\.(filter|operations|regexp|value)$", lambda c, g, path, text: "multi_regexp" in json.dumps(g)
     or ((c is None or g is None) and " regexp " in text), NEWER, "regexp filters of one field add up into multi_regexp (2.6.2 keeps the last)"),
    (r"\.apps\.tls\.automation\.policies$", lambda c, g, *_: managers_merged(c, g), NEWER,
     "policies with certificate managers (get_certificate) are merged only with equal managers "
     "(current fixture tls_automation_policies_11; 2.6.2 merged them without comparing, so a "
     "name's get_certificate was dropped or given to another name)"),
    (r"\.apps\.tls\.automation\.policies\[\d+\]\.subjects$", lambda c, g, path, text: "get_certificate" in text
     and isinstance(c, list) and isinstance(g, list) and set(g) < set(c), NEWER,
     "policies with certificate managers (get_certificate) are merged only with equal managers "
     "(current fixture tls_automation_policies_11; 2.6.2 gave the managers' policy the names of "
     "sites without tls settings, seed 1817 case 278)"),
    (r"\.apps\.tls\.automation\.policies\[\d+\]\.get_certificate$", lambda c, g, *_: c is None or g is None,
     NEWER, "a policy's certificate managers are kept when it meets an equal policy without them "
     "(2.6.2 merged the two and dropped get_certificate; current fixture tls_automation_policies_11)"),
    (r"\.apps\.tls(\.certificates(\.automate)?|\.automation(\.policies)?)?$",
     lambda c, g, path, text: disable_certs_automate(c, g, text), NEWER,
     "`auto_https disable_certs` also stops the `automate` loader for names beside a hostless "
     "key (newer Caddy's buildTLSApp checks it; 2.6.2 still obtained them, IPs with the internal "
     "issuer, against the option's documented meaning)"),
    (r"\.writer\.(mode|soft_start)$", lambda c, g, *_: c is None, NEWER,
     "log writer `mode` (file) and `soft_start` (net) are applied as newer Caddy's (2.6.2 passes "
     "over them silently; README, log writers; e2e default_log_vs_caddy checks the mode)"),
    (r"\.tls_connection_policies$", lambda c, g, *_: catch_all_added(c, g), NEWER,
     "a hostless site on a non-HTTP port with a `tls` directive gets a catch-all connection policy "
     "(current fixture enable_tls_for_catch_all_site; 2.6.2 required a host)"),
]


def php_index_redirect_dropped(c, g):
    """True when caddy's routes are gatehouse's plus php_fastcgi's 308 index redirect."""
    redirect = lambda r: isinstance(r, dict) and any(
        isinstance(h, dict) and h.get("handler") == "static_response" and h.get("status_code") == 308
        and (h.get("headers") or {}).get("Location") == ["{http.request.orig_uri.path}/"]
        for h in r.get("handle") or [])
    return (isinstance(c, list) and isinstance(g, list) and len(c) == len(g) + 1
            and sum(map(redirect, c)) == 1 and not any(map(redirect, g)))


def managers_merged(c, g):
    """True when one side uses certificate managers and one side's subjects contain the
    other's: 2.6.2 merged policies without comparing their managers (and so kept empty ones
    newer Caddy drops beside managers)."""
    subjects = lambda aps: {s for ap in aps or [] if isinstance(ap, dict) for s in ap.get("subjects", [])}
    return (isinstance(c, list) and isinstance(g, list) and "get_certificate" in json.dumps(c) + json.dumps(g)
            and (subjects(c) <= subjects(g) or subjects(g) <= subjects(c)))


DISABLE_CERTS = re.compile(r"^\s*auto_https\s+disable_certs\b", re.M)


def disable_certs_automate(c, g, text):
    """True when only caddy automates names (the `automate` loader and its internal policy)
    under `auto_https disable_certs`."""
    return bool(DISABLE_CERTS.search(text)) and c is not None and (
        g is None or len(json.dumps(c)) > len(json.dumps(g)))


def catch_all_added(c, g):
    """True when gatehouse's policy list is caddy's plus one trailing catch-all (no match, at most
    default_sni/fallback_sni set)."""
    c = c or []
    return (isinstance(g, list) and isinstance(c, list) and len(g) == len(c) + 1 and g[:-1] == c
            and isinstance(g[-1], dict) and not set(g[-1]) - {"default_sni", "fallback_sni"})

# Messages of a case one side rejects (or both, naming other lines): (kind regex, message
# regex, class, reason). gh_accepts/err_line match caddy's message, gh_rejects gatehouse's.
KNOWN_MSG = [
    ("err_line", r"^[^\n]*Error during parsing: parsing caddyfile tokens for '[^']+': (?![^\n]*Caddyfile:\d)", PRECISE,
     "an error without a position inside a nested directive: 2.6.2 names the last line of the enclosing "
     "block, gatehouse the offending token's line"),
    ("gh_accepts|err_line", r"tokens for 'log'.*Wrong argument count", NEWER, "log takes a logger name"),
    ("gh_accepts|err_line", r"tokens for 'handle_errors'.*Wrong argument count", NEWER,
     "handle_errors takes status codes"),
    ("gh_accepts|err_line", r"tokens for '(root|rewrite)'.*Wrong argument count", NEWER,
     "a lone argument of root/rewrite is the path, not a matcher"),
    ("gh_accepts|err_line", r"unrecognized subdirective (stream_close_delay|stream_timeout|request_buffers|response_buffers|"
     r"health_follow_redirects|health_method|health_request_body|verbose_logs|forward_proxy_url|local_address|"
     r"tls_curves|proxy_protocol)\b", NEWER, "newer reverse_proxy and http transport options"),
    ("gh_accepts|err_line", r"unrecognized srv option 'versions'", NEWER,
     "dynamic a's `versions` (newer Caddy; 2.6.2's A source has no such option and names itself srv)"),
    ("gh_accepts|err_line", r"tokens for 'request_body'.*unrecognized servers option '(read|write)_timeout'", NEWER,
     "request_body read_timeout/write_timeout (newer Caddy; 2.6.2's message names servers options)"),
    ("gh_accepts|err_line", r"unrecognized pki ca option 'intermediate_lifetime'", NEWER, "pki ca intermediate_lifetime"),
    ("gh_accepts|err_line", r"tokens for 'log'.*unrecognized subdirective: sampling", NEWER, "log sampling"),
    ("gh_accepts|err_line", r"tokens for 'file_server'.*(caddy\.fs\.|unknown subdirective 'etag_file_extensions')", NEWER,
     "file_server `fs` and `etag_file_extensions` are newer Caddy's syntax, parsed and refused at start "
     "(README, not supported yet)"),
    ("gh_accepts|err_line", r"unrecognized global option: (persist_config|fallback_sni)", NEWER, "newer global options"),
    ("gh_accepts|err_line", r"unrecognized global option: metrics\b", NEWER,
     "the global `metrics` option (Caddy 2.10; current fixtures metrics_otlp, metrics_merge_options)"),
    ("gh_accepts|err_line", r"unrecognized servers option '(name|logs|client_ip_headers|trusted_proxies|keepalive_interval|enable_full_duplex)'",
     NEWER, "newer servers options"),
    ("gh_accepts|err_line", r"dns\.providers\.", NEWER, "DNS providers are built in (Debian's caddy has none)"),
    ("gh_accepts|err_line", r"caddy\.listeners\.proxy_protocol", NEWER, "proxy_protocol listener wrapper"),
    ("gh_accepts|err_line", r"malformed header matcher: expected both field and value", NEWER,
     "header matcher with a field only tests presence"),
    ("gh_accepts|err_line", r"unknown subdirective: (reuse_private_keys|propagation_timeout|propagation_delay|dns_ttl)\b", NEWER,
     "newer tls options"),
    ("gh_accepts|err_line", r"caddy\.logging\.encoders\.single_field", NEWER, "single_field log encoder"),
    ("gh_accepts|err_line", r"unrecognized directive: <h|<<EOF", NEWER, "heredocs"),
    ("gh_rejects|err_line_gh", r"'forwarded' option is no longer supported", NEWER, "remote_ip forwarded is replaced by client_ip"),
    ("gh_rejects|err_line_gh", r"cannot re-declare uri", NEWER,
     "forward_auth refuses a second uri (current fixture forward_auth_duplicate_uri; 2.6.2 keeps the last)"),
    ("gh_rejects", r"parsed '.*' as a site address, but it is a known directive", NEWER,
     "a directive name as a site address is refused"),
    ("gh_rejects", r"unsupported URL scheme ftp", NEWER,
     "a site address with an unknown scheme is refused (fixture site_address_unsupported_scheme; 2.6.2 serves it as HTTPS)"),
    ("gh_rejects|err_line_gh", r"parsed '.*' as a site address, but it is a known directive", NEWER,
     "a directive name as a site address is refused while parsing"),
    ("gh_rejects", r"cannot re-declare uri", NEWER,
     "forward_auth refuses a second `uri` (fixture forward_auth_duplicate_uri; 2.6.2 keeps the last)"),
    ("gh_rejects", r"http_redirect's status_code \(newer Caddy\) is not supported yet", PENDING,
     "newer Caddy's http_redirect status_code is refused (2.6.2 skips the wrapper's tokens unread)"),
    ("gh_accepts", r"hostname appears in more than one automation policy, making certificate management "
                   r"ambiguous: (\d+\.\d+\.\d+\.\d+|[0-9a-fA-F]*:[0-9a-fA-F:.]*)\s*$", NEWER,
     "a public IP beside a hostless key is public to current certmagic, so it gets no internal "
     "policy to clash with the site's issuer (certmagic 0.17 in 2.6.2 took no IP as public)"),
    ("err_line", r"failed to parse lb_retry_match: .*getting matcher module", RANDOM,
     "2.6.2 checks a nested matcher set's names in Go's random map order, so which unknown "
     "name it reports (and on which line) changes from run to run"),
    ("err_line", r"getting matcher module '[^']*': module not registered", RANDOM,
     "2.6.2 loads a `not` block's matchers from a Go map, so which of several errors it reports "
     "(an unknown matcher name or a bad argument elsewhere) changes from run to run (seed 1838 case 198)"),
    ("gh_rejects|err_line_gh", r"request matchers may not be defined globally", NEWER,
     "a matcher token where a site address is expected is refused while parsing (current fixture "
     "matcher_outside_site_block; 2.6.2 takes it as an address and fails later elsewhere)"),
]
# Text of the case that explains any difference of it.
KNOWN_TEXT = [
    (re.compile(r"<<[A-Z]"), NEWER, "heredocs are Caddy 2.7 syntax (2.6.2 reads '<<EOF' as a word)"),
    (re.compile(r"\{args\["), NEWER, "{args[N]} placeholders (2.6.2 knows only {args.N})"),
]


def routed_hosts(servers, skip):
    """The host names the top-level routes of the servers other than `skip` match."""
    return {h for srv in servers.values() if srv is not skip for r in srv.get("routes") or []
            for m in r.get("match") or [] if isinstance(m, dict) for h in m.get("host") or []}


def sni_reasons(cj, gj):
    """Puts gatehouse's SNI list in caddy's JSON where the difference is explained, returning
    the reasons: the same names in another order (2.6.2 builds the list from a Go map), or the
    list of another server of the same site block (2.6.2 shares one policy object among the
    servers of a block whose addresses use several ports, so the last server's list wins)."""
    reasons = set()
    servers = lambda cfg: ((cfg.get("apps") or {}).get("http") or {}).get("servers") or {}
    sni = lambda cp: (cp.get("match") or {}).get("sni") if isinstance(cp, dict) else None
    gservers = servers(gj)
    for name, srv in servers(cj).items():
        gsrv = gservers.get(name) or {}
        for cp, gcp in zip(srv.get("tls_connection_policies") or [], gsrv.get("tls_connection_policies") or []):
            csni, gsni = sni(cp), sni(gcp)
            # a catch-all key's server has no SNI list of its own, so it kept the other's
            catch_all = isinstance(gcp, dict) and "match" not in gcp and cp.get("match") == {"sni": csni}
            if not (isinstance(csni, list) and (isinstance(gsni, list) or catch_all)) or csni == gsni:
                continue
            rest = lambda p: {k: v for k, v in p.items() if k != "match"}
            if not catch_all and sorted(csni) == sorted(gsni):
                reasons.add((NEWER, SNI_ORDER))
            elif rest(cp) == rest(gcp) and any(sorted(sni(o) or []) == sorted(csni) and rest(o) == rest(cp)
                                               for other in gservers.values() if other is not gsrv
                                               for o in other.get("tls_connection_policies") or []):
                reasons.add((NEWER, SNI_SHARED))
            elif catch_all and rest(cp) == rest(gcp) and set(csni) <= routed_hosts(gservers, gsrv):
                # the other server's copy of the policy was dropped as settings-empty (only the
                # default_sni this catch-all server set made it count), so only its routes show
                # the names (seed 1813 case 219: `:8080, unix//x.sock { tls { on_demand } }`)
                reasons.add((NEWER, SNI_SHARED))
            else:
                continue
            if catch_all:
                del cp["match"]
            else:
                cp["match"]["sni"] = gsni
    certs = lambda cfg: ((cfg.get("apps") or {}).get("tls") or {}).get("certificates") or {}
    cauto, gauto = certs(cj).get("automate"), certs(gj).get("automate")
    if isinstance(cauto, list) and isinstance(gauto, list) and cauto != gauto and sorted(cauto) == sorted(gauto):
        certs(cj)["automate"] = gauto
        reasons.add((NEWER, SNI_ORDER))
    return reasons


def same_hide_sets(c, g):
    """Puts gatehouse's file_server `hide` list in caddy's JSON wherever the two hold the same
    files in another order (2.6.2 collects a site's Caddyfiles in a Go map). True when any was."""
    replaced = False
    if isinstance(c, dict) and isinstance(g, dict):
        for k in c:
            if k not in g:
                continue
            if k == "hide" and isinstance(c[k], list) and isinstance(g[k], list) and c[k] != g[k] \
                    and sorted(c[k]) == sorted(g[k]):
                c[k] = g[k]
                replaced = True
            else:
                replaced |= same_hide_sets(c[k], g[k])
    elif isinstance(c, list) and isinstance(g, list) and len(c) == len(g):
        for x, y in zip(c, g):
            replaced |= same_hide_sets(x, y)
    return replaced


def is_vars_route(r):
    """A vars handler, or a route of one vars handler."""
    if isinstance(r, dict) and isinstance(r.get("handle"), list) and len(r["handle"]) == 1:
        r = r["handle"][0]
    return isinstance(r, dict) and r.get("handler") == "vars"


def unnamed_regexps(v):
    """A JSON value without the `name` of its regexp matchers (newer Caddy names them after
    their named matcher, an explained difference)."""
    if isinstance(v, dict):
        return {k: (unnamed_regexps({n: {f: x for f, x in r.items() if f != "name"} if isinstance(r, dict) else r
                                     for n, r in val.items()}) if k in ("header_regexp", "vars_regexp") and isinstance(val, dict)
                    else {f: x for f, x in val.items() if f != "name"} if k == "path_regexp" and isinstance(val, dict)
                    else unnamed_regexps(val))
                for k, val in v.items()}
    if isinstance(v, list):
        return [unnamed_regexps(x) for x in v]
    return v


def same_vars_runs(c, g):
    """Puts gatehouse's order of each run of consecutive vars routes (or vars handlers of one
    route) in caddy's JSON wherever the run holds the same routes in another order (newer
    Caddy's vars sort, which current fixtures sort_vars_in_reverse and
    map_and_vars_with_raw_types need, swaps vars of equal-length paths; 2.6.2 keeps them in
    order). True when any was."""
    replaced = False
    if isinstance(c, dict) and isinstance(g, dict):
        for k in c:
            if k in g:
                replaced |= same_vars_runs(c[k], g[k])
    elif isinstance(c, list) and isinstance(g, list) and len(c) == len(g):
        i = 0
        while i < len(c):
            j = i
            while j < len(c) and is_vars_route(c[j]) and is_vars_route(g[j]):
                j += 1
            key = lambda r: json.dumps(unnamed_regexps(r), sort_keys=True)
            if j - i > 1 and c[i:j] != g[i:j] and sorted(map(key, c[i:j])) == sorted(map(key, g[i:j])):
                # caddy's routes in gatehouse's order; regexp matcher names (explained apart)
                # are left to differ
                pool = list(c[i:j])
                c[i:j] = [pool.pop([key(x) for x in pool].index(key(y))) for y in g[i:j]]
                replaced = True
            for x, y in zip(c[i:j + 1], g[i:j + 1]):
                replaced |= same_vars_runs(x, y)
            i = j + 1
    return replaced


def explain_json(cj, gj, text):
    """(None, reasons) when every differing leaf is explained, else (first unexplained path, None)."""
    reasons = set()
    policies = lambda cfg: ((cfg.get("apps") or {}).get("tls") or {}).get("automation", {}).get("policies")
    if policies(cj) != policies(gj) and adapt_tls_policies.same_certificates(cj, gj, text):
        # Same settings for every name: compare the rest with caddy's policies in place.
        reasons.add((NEWER, POLICY_LAYOUT))
        gj = json.loads(json.dumps(gj))
        tls = gj.setdefault("apps", {}).setdefault("tls", {})
        tls.setdefault("automation", {})["policies"] = policies(cj)
        if policies(cj) is None:
            del tls["automation"]["policies"]
        for key in ("automation", "tls"):
            if key == "automation" and not tls["automation"]:
                del tls["automation"]
        if not tls and "tls" not in (cj.get("apps") or {}):
            del gj["apps"]["tls"]
    reasons |= sni_reasons(cj, gj)
    if same_hide_sets(cj, gj):
        reasons.add((NEWER, HIDE_ORDER))
    if same_vars_runs(cj, gj):
        reasons.add((NEWER, VARS_ORDER))
    for path, c, g in json_diffs(cj, gj):
        for rx, pred, cls, reason in KNOWN_JSON:
            if re.search(rx, path) and (pred is None or pred(c, g, path, text)):
                reasons.add((cls, reason))
                break
        else:
            return short_path(path), None
    return None, reasons


def explain_msg(kind, msg):
    for kinds, rx, cls, reason in KNOWN_MSG:
        if re.search("^(%s)$" % kinds, kind) and re.search(rx, msg, re.S):
            return (cls, reason)
    return None


# gatehouse's `validate` refusals of configs caddy 2.6.2 validates: (message part, class,
# reason); the first that matches explains it.
KNOWN_VALIDATE = [
    ("a datagram socket accepts no connections", AT_START,
     "a udp/unixgram listener for HTTP: 2.6.2 validates it and panics at start (newer Caddy refuses "
     "it at start); refused at validate here"),
    ("http_redirect after TLS", PENDING,
     "http_redirect after `tls` is refused: 2.6.2 accepts it and then loops HTTPS GETs to themselves "
     "and never redirects plain HTTP (README, listeners)"),
    ("certificate lifetime should be less than intermediate certificate lifetime", NEWER,
     "acme_server's lifetime is applied and checked against the intermediate's, as newer Caddy does "
     "(2.6.2 ignores the option silently)"),
    ("not a bcrypt hash", AT_START,
     "a basicauth password hash that is not bcrypt: 2.6.2 validates it, then answers every login of "
     "that account 401 (logging 'hashedSecret too short', checked); refused at validate here"),
    ("a DNS challenge needs a provider", AT_START,
     "DNS challenge settings (`tls { resolvers ... }`) without a provider: 2.6.2 validates them, and "
     "its DNS solver, which excludes the other challenges, has no provider to answer with"),
    ("no challenge left to answer", PENDING,
     "an ACME issuer with HTTP-01 and TLS-ALPN-01 disabled and no DNS provider: 2.6.2 validates and "
     "starts it, then fails every certificate order (no solver); gatehouse refuses it at validate "
     "(src/provision/managed_certificates.cpp requireAChallenge)"),
    ("not supported yet", PENDING,
     "a feature gatehouse does not implement yet, refused as its rules want (README lists each: "
     "acme_server options newer than 2.6.2, HTTP/3 ...)"),
]


def explain_validate(msg, caddy_json):
    if "trusted_roots_pem_files" in msg and "trusted_roots_pem_files" not in caddy_json:
        return (NEWER, "the trusted root file of global ACME options is read for the catch-all policy "
                       "newer Caddy's layout puts them in (2.6.2 made no policy here)")
    return next(((cls, reason) for part, cls, reason in KNOWN_VALIDATE if part in msg), None)


def run(argv, cwd, env, timeout=30):
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"


def error_text(stderr):
    """The error message of a failed run, without JSON log lines (warnings)."""
    lines = []
    for line in stderr.splitlines():
        if line.startswith("{") and '"level"' in line:
            continue
        lines.append(line)
    return "\n".join(lines).strip()


def locations(msg, names):
    """Every FILE:LINE that a message names, for the files of the case."""
    found = []
    for name in names:
        for m in re.finditer(r"(?<![\w/.])(?:\./)?" + re.escape(name) + r":(\d+)", msg):
            found.append((name, int(m.group(1))))
    return found


def normalize(msg):
    """A message reduced to its shape, to group differences by cause."""
    msg = msg.replace("Error: ", "")
    msg = re.sub(r"(Caddyfile|snip\.caddy):\d+", "F:N", msg)
    msg = re.sub(r"'[^']*'", "'_'", msg)
    msg = re.sub(r'"[^"]*"', '"_"', msg)
    msg = re.sub(r"\d+", "N", msg)
    return msg[:160]


def short_path(path):
    """A JSON difference path reduced to its cause: no server names, nesting collapsed."""
    path = re.sub(r"\.servers\.[^.]+", ".servers.*", path)
    path = re.sub(r"(\.routes\[\]\.handle\[\])+", ".routes[].handle[]", path)
    path = re.sub(r"\.(logger_names|skip_hosts)\..*", r".\1", path)
    return path


def innermost(msg):
    """The innermost cause of a nested Caddy error ('parsing ... tokens for X: ... Error during
    parsing: cause')."""
    msg = msg.split("\n")[0]
    return msg.rsplit("Error during parsing: ", 1)[-1].rsplit("): ", 1)[-1]


def json_diff_path(a, b, path=""):
    """The first path where two JSON values differ, array indices as []."""
    if type(a) is not type(b):
        return path + " (type)"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return path + "." + k + (" (only caddy)" if k in a else " (only gatehouse)")
            if a[k] != b[k]:
                return json_diff_path(a[k], b[k], path + "." + k)
        return path
    if isinstance(a, list):
        if len(a) != len(b):
            return path + "[] (length)"
        for x, y in zip(a, b):
            if x != y:
                return json_diff_path(x, y, path + "[]")
        return path
    return path + " (value)"


def json_diffs(a, b, path=""):
    """Every smallest differing part of two JSON values: (path, caddy's, gatehouse's)."""
    if a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in json_diffs(a.get(k), b.get(k), path + "." + k)]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in json_diffs(x, y, "%s[%d]" % (path, i))]
    return [(path, a, b)]


def compare_case(gh, seed, idx, args, work):
    files, mutation = adapt_gen.generate(seed * 1000003 + idx)
    d = os.path.join(work, "case%d" % idx)
    os.makedirs(d, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    env = dict(os.environ, HOME=d, XDG_DATA_HOME=os.path.join(d, "data"),
               XDG_CONFIG_HOME=os.path.join(d, "config"), **ENV_VARS)
    env.pop("UPSTREAM", None)
    env.pop("ROOT", None)
    env.pop("USER", None)
    env.pop("EMAIL", None)
    res = {"idx": idx, "mutation": mutation, "files": files, "diffs": []}
    crc, cout, cerr = run(["caddy", "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"], d, env)
    grc, gout, gerr = run([gh, "adapt", "--config", "Caddyfile"], d, env)
    cmsg, gmsg = error_text(cerr), error_text(gerr)
    res["caddy"], res["gatehouse"] = (crc, cout if crc == 0 else cmsg), (grc, gout if grc == 0 else gmsg)
    text = "\n".join(files.values())
    by_text = next(((cls, reason) for rx, cls, reason in KNOWN_TEXT if rx.search(text)), None)

    def diff(kind, sig, detail, known=None):
        known = known or by_text
        res["diffs"].append({"kind": kind, "sig": sig, "detail": detail,
                             "known": "%s: %s" % known if known else None})

    both_ok = False
    if crc == 0 and grc == 0:
        try:
            cj, gj = json.loads(cout), json.loads(gout)
        except ValueError as e:
            diff("bad_json", str(e)[:80], "")
            return res
        if cj != gj:
            path, reasons = explain_json(cj, gj, text)
            if path:
                diff("json", path, "")
            else:
                for known in sorted(reasons):
                    diff("json", "", "", known)
        both_ok = True
    elif crc == 0:
        known = explain_msg("gh_rejects", gmsg)
        if not known and "more than one automation policy" in gmsg and "get_certificate" in text:
            known = (NEWER, "policies with certificate managers are merged only with equal managers "
                            "(current fixture tls_automation_policies_11), so a name that 2.6.2's merge "
                            "gave one policy (dropping its get_certificate) is in two, which is refused")
        diff("gh_rejects", normalize(innermost(gmsg)), gmsg, known)
    elif grc == 0:
        known = explain_msg("gh_accepts", cmsg)
        if not known and "more than one automation policy" in cmsg and DISABLE_CERTS.search(text):
            known = (NEWER, "`auto_https disable_certs` also stops the automate loader's internal "
                            "policy (newer Caddy), which was the second policy of 2.6.2's refusal")
        diff("gh_accepts", normalize(innermost(cmsg)), cmsg, known)
    else:
        want = [loc for loc in locations(cmsg, list(files)) if loc[1] > 0]
        got = locations(gmsg, list(files))
        # Caddy names no line for errors found after parsing (addresses, listeners): then
        # any answer is accepted.
        if want and not set(want) & set(got):
            diff("err_line", normalize(innermost(cmsg)), "caddy: %s\ngatehouse: %s" % (cmsg, gmsg),
                 explain_msg("err_line", cmsg) or explain_msg("err_line_gh", gmsg))
    if args.fmt and "<<" not in text:
        _, cf, _ = run(["caddy", "fmt", "Caddyfile"], d, env)
        _, gf, _ = run([gh, "fmt", "Caddyfile"], d, env)
        if cf != gf:
            odd = (PENDING, "fmt of a file with an unterminated quote") if text.count('"') % 2 else None
            if "`" in text:
                odd = (NEWER, "fmt copies `backtick` segments as quoted text (2.6.2's fmt re-indents "
                              "braces inside them and can drop one; an unterminated one quotes to the end)")
            diff("fmt", "fmt output differs", "", odd)
    if args.validate and both_ok:
        vc, _, vce = run(["caddy", "validate", "--config", "Caddyfile", "--adapter", "caddyfile"], d, env, 60)
        vg, _, vge = run([gh, "validate", "--config", "Caddyfile"], d, env, 60)
        if (vc == 0) != (vg == 0):
            kind = "validate_gh_rejects" if vc == 0 else "validate_gh_accepts"
            msg = error_text(vge if vc == 0 else vce)
            known = explain_validate(msg, cout) if vc == 0 else None
            if vc != 0 and "opening log writer using &logging.NetWriter" in msg and "soft_start" in text:
                known = (NEWER, "a net log writer's soft_start is applied (newer Caddy); 2.6.2 ignores it, "
                                "dials at start and fails when nothing listens")
            if vc != 0 and msg.startswith("panic: "):
                known = (CRASH, "caddy 2.6.2 panics provisioning this config (a Go nil dereference, "
                                "e.g. a deferred `?Field` header op); gatehouse runs it")
            diff(kind, normalize(msg), msg, known)
    if not res["diffs"]:
        shutil.rmtree(d, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=50.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fmt", action="store_true")
    ap.add_argument("--validate", action="store_true")
    ap.add_argument("--keep", help="write each differing case to this folder")
    ap.add_argument("--only", type=int, help="run only case I (prints its files and outputs)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not shutil.which("caddy"):
        print("caddy not installed: skipped")
        return 77
    gh = os.path.abspath(args.gatehouse)
    indices = [args.only] if args.only is not None else list(range(args.cases))
    start = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="adapt-fuzz-") as work:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(compare_case, gh, args.seed, i, args, work) for i in indices]
            for fut in futures:
                if time.monotonic() - start > args.time_limit:
                    for f in futures:
                        f.cancel()
                res = None if fut.cancelled() else fut.result()
                if res is not None:
                    results.append(res)
    groups = {}
    for res in results:
        for d in res["diffs"]:
            key = (d["kind"], "" if d["known"] else d["sig"], d["known"])
            groups.setdefault(key, []).append((res, d))
    unexplained = 0
    for (kind, sig, known), items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        tag = "KNOWN (%s)" % known if known else "DIFF"
        if known and known.startswith(PENDING):
            tag = "PENDING (%s)" % known[len(PENDING) + 2:]
        if not known:
            unexplained += len(items)
        print("%s %s x%d: %s   e.g. --seed %d --only %s" % (tag, kind, len(items), sig, args.seed,
                                                           " ".join(str(r["idx"]) for r, _ in items[:5])))
        if args.verbose or args.only is not None:
            res, d = items[0]
            print("  mutation: %s\n  detail: %s" % (res["mutation"], d["detail"][:600]))
    if args.only is not None and results:
        res = results[0]
        for name, text in res["files"].items():
            print("---- %s\n%s" % (name, text))
        (crc, cout), (grc, gout) = res["caddy"], res["gatehouse"]
        if crc == 0 and grc == 0:
            for path, x, y in json_diffs(json.loads(cout), json.loads(gout))[:12]:
                print("---- %s\n  caddy:     %s\n  gatehouse: %s" % (path, json.dumps(x)[:500], json.dumps(y)[:500]))
        else:
            print("---- caddy rc=%d\n%s\n---- gatehouse rc=%d\n%s" % (crc, cout[:2000], grc, gout[:2000]))
    if args.keep:
        for res in results:
            if res["diffs"]:
                d = os.path.join(args.keep, "seed%d_case%d" % (args.seed, res["idx"]))
                os.makedirs(d, exist_ok=True)
                for name, text in res["files"].items():
                    with open(os.path.join(d, name), "w") as f:
                        f.write(text)
                with open(os.path.join(d, "diff.json"), "w") as f:
                    json.dump({"diffs": res["diffs"], "caddy": res["caddy"], "gatehouse": res["gatehouse"]}, f, indent=1)
    ok_cases = sum(1 for r in results if not r["diffs"])
    both_fail = sum(1 for r in results if r["caddy"][0] != 0 and r["gatehouse"][0] != 0)
    print("%d cases run (seed %d) in %.1f s: %d same, %d both rejected, %d unexplained differences, %d known"
          % (len(results), args.seed, time.monotonic() - start, ok_cases, both_fail, unexplained,
             sum(len(v) for (k, s, kn), v in groups.items() if kn)))
    if args.only is None and len(results) < min(args.cases, 50):
        print("too few cases ran within the time limit")
        return 1
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
