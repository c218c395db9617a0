"""Access-log comparison for the compat runner: a case whose case.json names "logs" (files
its Caddyfile writes under {LOGDIR}) has each JSON line caddy wrote compared with the line
gatehouse wrote for the same request: key order at the top and in `request`, every value
and its JSON type. Normalized: `ts`, `duration`, `remote_port` and a handler error's random
`err_id` (also as "{id=...}" in texts) (their types are kept),
port numbers, the `Server` and `Alt-Svc` response fields; header objects are compared as
maps (Go prints a map in random order).

Deliberate differences (Gatehouse follows newer Caddy), taken out before comparing and
listed: `request>client_ip` and `bytes_read` (Caddy 2.7+), 4xx statuses logged at INFO
where 2.6.2 logs ERROR (Caddy 2.8, caddy #6106) and file_server's `Vary: Accept-Encoding`."""
import json
import os
import re
import time

NEWER_REASONS = {
    "client_ip": "request>client_ip is logged since Caddy 2.7; 2.6.2 has no such field",
    "bytes_read": "bytes_read is logged since Caddy 2.7; 2.6.2 has no such field",
    "level": "4xx responses are logged at INFO since Caddy 2.8 (caddy #6106); 2.6.2 logs ERROR",
    "vary": "current Caddy's file_server always adds Vary: Accept-Encoding (caddy #5849); 2.6.2 does not",
}
HEADER_OBJECTS = ("headers", "resp_headers")
IGNORED_RESPONSE_FIELDS = ("Server", "Alt-Svc")
SETTLE_SECONDS = 5.0


def _normalize(value, ports, key=None):
    if isinstance(value, dict):
        return {k: _normalize(v, ports, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v, ports) for v in value]
    if key in ("ts", "duration", "remote_port", "err_id"):
        return "<%s>" % type(value).__name__
    if isinstance(value, str):
        # A handler error's random id, also inside its text ("{id=abc123xyz} ...").
        value = re.sub(r"\{id=[a-z0-9]+\}", "{id=<id>}", value)
        for port in ports:
            value = re.sub(r"(?<![0-9])%s(?![0-9])" % port, "{PORT}", value)
    return value


def _entry(text, ports, seen, other=None):
    e = _normalize(json.loads(text), ports)
    request = e.get("request")
    if isinstance(request, dict) and request.pop("client_ip", None) is not None:
        seen.add("client_ip")
    if e.pop("bytes_read", None) is not None:
        seen.add("bytes_read")
    status = e.get("status")
    if isinstance(status, int) and 400 <= status < 500 and e.get("level") == "info":
        e["level"] = "error"
        seen.add("level")
    resp = e.get("resp_headers")
    if isinstance(resp, dict):
        for name in IGNORED_RESPONSE_FIELDS:
            resp.pop(name, None)
        other_resp = (other or {}).get("resp_headers") or {}
        if other is not None and resp.get("Vary") == ["Accept-Encoding"] and "Vary" not in other_resp:
            del resp["Vary"]
            seen.add("vary")
    return e


def _describe(e):
    """Order-sensitive view: key order of the entry and of its request, then values."""
    keys = list(e)
    req_keys = list(e["request"]) if isinstance(e.get("request"), dict) else None
    return keys, req_keys, e


def _read_lines(path):
    deadline = time.time() + SETTLE_SECONDS
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.05)
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        return [line for line in f.read().splitlines() if line.strip()]


def _by_start(lines):
    """Entries in the order their requests began (ts - duration). Each entry is written once
    its exchange ends, after the client has the answer, so under load caddy (a goroutine per
    connection) may write a request's entry after the next request's: the file order is not
    the request order. Lines that are not JSON entries keep the file order."""
    keys = []
    for line in lines:
        try:
            e = json.loads(line)
            keys.append(float(e["ts"]) - float(e["duration"]))
        except (ValueError, KeyError, TypeError):
            return lines
    return [line for _, line in sorted(zip(keys, lines), key=lambda kl: kl[0])]


def compare(files, caddy_dir, caddy_ports, gh_dir, gh_ports):
    """Returns (differences, newer): lists of text lines; `newer` names the deliberate
    differences that were seen."""
    diffs, seen = [], set()
    for name in files:
        a = _read_lines(os.path.join(caddy_dir, name))
        b = _read_lines(os.path.join(gh_dir, name))
        if a is None and b is None:
            diffs.append("%s: neither server wrote it (the case expects caddy to)" % name)
            continue
        if a is None or b is None:
            if a != b:
                diffs.append("%s: caddy %s, gatehouse %s" % (name, "wrote it" if a is not None else "no file",
                                                                "wrote it" if b is not None else "no file"))
            continue
        if len(a) != len(b):
            diffs.append("%s: caddy %d lines, gatehouse %d" % (name, len(a), len(b)))
        a, b = _by_start(a), _by_start(b)
        for i, (la, lb) in enumerate(zip(a, b)):
            try:
                ea = _entry(la, caddy_ports, seen)
                eb = _entry(lb, gh_ports, seen, ea)
            except ValueError:
                diffs.append("%s line %d: not JSON: caddy %r, gatehouse %r" % (name, i, la[:120], lb[:120]))
                continue
            da, db = _describe(ea), _describe(eb)
            if da[0] != db[0]:
                diffs.append("%s line %d keys: caddy %s, gatehouse %s" % (name, i, da[0], db[0]))
            elif da[1] != db[1]:
                diffs.append("%s line %d request keys: caddy %s, gatehouse %s" % (name, i, da[1], db[1]))
            elif ea != eb:
                for k in ea:
                    if ea[k] != eb.get(k):
                        diffs.append("%s line %d %s: caddy %s, gatehouse %s" % (
                            name, i, k, json.dumps(ea[k]), json.dumps(eb.get(k))))
    return diffs, [NEWER_REASONS[k] for k in sorted(seen)]
