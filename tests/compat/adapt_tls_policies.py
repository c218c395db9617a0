"""Automation policies compared by what they do: the settings each named subject gets.

Newer Caddy (Caddy's current fixtures, which Gatehouse follows) lays the TLS automation
policies out differently from 2.6.2 without changing which certificates are obtained how:
global ACME options give a catch-all policy instead of being copied into every public
policy, challenge alternate ports (http_port/https_port) and default_bind's host are written
at adapt time (2.6.2 sets them when auto-HTTPS starts), the default ZeroSSL issuer is an
ACME issuer with ZeroSSL's directory, and without an email it is not a default issuer. effective() reduces both sides to subject -> settings.
"""
import copy
import ipaddress
import json
import re

ZEROSSL_CA = "https://acme.zerossl.com/v2/DV90"


def is_public(name):
    host = name.strip("[]").lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return False  # certmagic never takes an IP address for a public certificate implicitly
    except ValueError:
        pass
    if host == "localhost" or re.search(r"\.(localhost|local|internal|home\.arpa)$", host):
        return False
    return host.count("*.") < 2


def _issuer(iss, text):
    iss = copy.deepcopy(iss)
    if iss.get("module") == "zerossl" and "api_key" not in iss:
        # 2.6.2's default ZeroSSL issuer took the global acme_ca too (so it retried that CA);
        # newer Caddy's keeps ZeroSSL's directory (seed 1823 case 150)
        global_ca = re.search(r"^\s*acme_ca\s+(\S+)", text, re.M)
        ca = iss.get("ca", ZEROSSL_CA)
        iss["module"], iss["ca"] = "acme", ZEROSSL_CA if global_ca and ca == global_ca.group(1) else ca
    ch = iss.get("challenges")
    if isinstance(ch, dict):
        for kind in ("http", "tls-alpn"):
            if isinstance(ch.get(kind), dict):
                ch[kind].pop("alternate_port", None)
                if not ch[kind]:
                    ch.pop(kind)
        # default_bind's host is written by newer Caddy only; 2.6.2 shares a global
        # cert_issuer between all policies, so one site's `bind` host reaches every policy.
        if "default_bind" in text or re.search(r"^\s*cert_issuer\b", text, re.M):
            ch.pop("bind_host", None)
        if not ch:
            iss.pop("challenges")
    return iss


def _matches(name, pattern):
    if name.lower() == pattern.lower():
        return True
    labels = name.lower().split(".")
    for i in range(len(labels)):
        if ".".join(labels[:i] + ["*"] + labels[i + 1:]) == pattern.lower():
            return True
    return False


def _policies(cfg, text):
    aps = ((cfg or {}).get("apps", {}).get("tls", {}) or {}).get("automation", {}).get("policies") or []
    out = []
    for ap in aps:
        issuers = [_issuer(i, text) for i in ap.get("issuers", [])]
        # Without an email newer Caddy's default issuers are Let's Encrypt's alone (2.6.2's
        # zerossl fallback also took a global acme_ca, so it retried the same CA).
        if len(issuers) == 2 and "email" not in issuers[0] and issuers[1] in (
                dict(issuers[0], ca=ZEROSSL_CA), issuers[0]):
            issuers = issuers[:1]
        out.append(dict(ap, issuers=issuers))
    return out


def catch_all_issuers(cfg, text):
    """The issuers of the (last) policy without subjects: newer Caddy's global ACME defaults."""
    return next((ap["issuers"] for ap in reversed(_policies(cfg, text)) if not ap.get("subjects")), None)


def effective(cfg, text, defaults):
    """{subject: settings} for every subject the policies name; issuers equal to `defaults`
    (the global ACME defaults) count as unset."""
    aps = _policies(cfg, text)
    names = sorted({s for ap in aps for s in ap.get("subjects", [])})
    out = {}
    for name in names:
        ap = next((ap for ap in aps if any(_matches(name, s) for s in ap.get("subjects", []))), None)
        settings = {k: v for k, v in (ap or {}).items() if k != "subjects"}
        if settings.get("issuers") in ([], defaults):
            settings.pop("issuers", None)
        if not is_public(name) and not settings:
            settings = {"issuers": [{"module": "internal"}]}
        out[name] = json.dumps(settings, sort_keys=True)
    return out


def same_certificates(caddy_cfg, gh_cfg, text):
    """True when every subject either side names gets the same settings from both (a subject
    only one side names gets the other side's catch-all or implicit settings)."""
    defaults = catch_all_issuers(gh_cfg, text)
    c, g = effective(caddy_cfg, text, defaults), effective(gh_cfg, text, defaults)
    implicit = lambda name: json.dumps({} if is_public(name) else {"issuers": [{"module": "internal"}]}, sort_keys=True)
    return all(c.get(n, implicit(n)) == g.get(n, implicit(n)) for n in set(c) | set(g))
