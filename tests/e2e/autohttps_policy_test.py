#!/usr/bin/env python3
"""End-to-end: automatic HTTPS policy options in `gatehouse run`, against Debian's caddy 2.6.2
as the oracle (same Caddyfile, each with its own storage; no ACME CA involved):

 1. `local_certs`, no `storage`: a site without `tls` gets a leaf from the local CA, kept
    in Caddy's default folder $XDG_DATA_HOME/caddy (verified against its
    pki/authorities/local/root.crt); a site with `tls CERT KEY` keeps its loaded certificate
    and gets no managed one.
 2. `auto_https ignore_loaded_certs`: the site with a loaded certificate gets a managed
    (local CA) certificate too, stored beside the loaded one, which handshakes keep getting
    (the site's certificate_selection), as with caddy.
 3. `auto_https disable_certs`: no certificate is managed (handshakes for the name fail,
    nothing in storage), while the HTTP->HTTPS redirect stays.
Loopback only; every wait is bounded. Usage: autohttps_policy_test.py <path-to-gatehouse>
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import harness  # noqa: E402
import server_stderr  # noqa: E402
import tls_pki  # noqa: E402
from harness import check  # noqa: E402

CADDY = "/usr/bin/caddy"


def caddyfile(store, hp, sp, option, manual):
    storage = f"storage file_system {store}" if store else ""
    return f"""{{
	{storage}
	admin off
	http_port {hp}
	https_port {sp}
	skip_install_trust
	local_certs
	{option}
}}

a.test {{
	bind 127.0.0.1
	respond "a"
}}

b.test {{
	bind 127.0.0.1
	tls {manual[0]} {manual[1]}
	respond "b"
}}
"""


def issuer_of(name, port):
    """The served leaf's issuer for SNI `name` ("" when the handshake fails)."""
    out = tls_pki.s_client(port, ["-servername", name], stdin=b"")
    for line in out.splitlines():
        if line.startswith("issuer="):
            return line[len("issuer="):].strip()
    return ""


def wait_issuer(name, port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = issuer_of(name, port)
        if got:
            return got
        time.sleep(0.2)
    return ""


def stored_leaves(store):
    base = os.path.join(store, "certificates", "local")
    return sorted(os.listdir(base)) if os.path.isdir(base) else []


def start_caddy(cfg, tmp, env):
    env = dict(env, HOME=tmp, XDG_CONFIG_HOME=tmp)
    proc = subprocess.Popen([CADDY, "run", "--config", cfg, "--adapter", "caddyfile"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    return proc, server_stderr.Drain(proc, [])


def stop_caddy(proc, drain):
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    drain.finish()


def observe(binary, tmp, label, option, manual):
    """Runs the config under `binary` (gatehouse, or caddy when binary is CADDY); returns what
    the handshakes and the redirect saw, and what storage holds."""
    store = os.path.join(tmp, label)
    # Without `storage` (local_certs), both use Caddy's default: $XDG_DATA_HOME/caddy.
    env = dict(os.environ, XDG_DATA_HOME=store)
    default_storage = option == ""
    hp, sp = harness.free_port(), harness.free_port()
    cfg = os.path.join(tmp, label + ".Caddyfile")
    with open(cfg, "w") as f:
        f.write(caddyfile(None if default_storage else store, hp, sp, option, manual))
    if default_storage:
        store = os.path.join(store, "caddy")
    if binary == CADDY:
        proc, drain = start_caddy(cfg, tmp, env)
        harness_stop = lambda: stop_caddy(proc, drain)  # noqa: E731
    else:
        proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile", env=env)
        harness_stop = lambda: harness.stop(proc, drain)  # noqa: E731
    try:
        seen = {"a": wait_issuer("a.test", sp, 15 if "disable_certs" not in option else 3),
                "b": wait_issuer("b.test", sp)}
        # Give background issuance (ignore_loaded_certs) time to install its certificate.
        if "ignore_loaded_certs" in option:
            deadline = time.time() + 15
            while time.time() < deadline and "b.test" not in stored_leaves(store):
                time.sleep(0.2)
            time.sleep(1)
            seen["b"] = issuer_of("b.test", sp)
        rc, out, _ = tls_pki.curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                   "--resolve", f"a.test:{hp}:127.0.0.1", f"http://a.test:{hp}/x"])
        seen["redirect"] = out.split(" ")[0] if rc == 0 else "curl %d" % rc
        seen["root"] = os.path.join(store, "pki", "authorities", "local", "root.crt")
        seen["stored"] = stored_leaves(store)
        seen["sp"] = sp
        seen["a_verified"] = None
        if seen["a"] and os.path.exists(seen["root"]):
            rc, out, err = tls_pki.curl(["--cacert", seen["root"], "--resolve", f"a.test:{sp}:127.0.0.1",
                                         f"https://a.test:{sp}/"])
            seen["a_verified"] = rc == 0 and out == "a"
    finally:
        harness_stop()
    return seen


def main():
    binary = sys.argv[1]
    have_caddy = shutil.which(CADDY) is not None
    if not have_caddy:
        print("caddy not installed: checking gatehouse against the expected behaviour only")
    with tempfile.TemporaryDirectory() as tmp:
        ca = tls_pki.make_ca(tmp, "manual")
        manual = tls_pki.make_leaf(tmp, "b.test", ["DNS:b.test"], ca)
        for option in ("", "auto_https ignore_loaded_certs", "auto_https disable_certs"):
            tag = option.split(" ")[-1] or "local_certs"
            ours = observe(binary, tmp, "gh-" + tag, option, manual)
            print(f"{tag}: gatehouse {ours}", flush=True)
            theirs = observe(CADDY, tmp, "caddy-" + tag, option, manual) if have_caddy else None
            if theirs:
                print(f"{tag}: caddy     {theirs}", flush=True)
            check(ours["redirect"] == "308", f"{tag}: HTTP->HTTPS redirect: {ours['redirect']}")
            # Its connection policy selects the loaded certificate (by tag), managed one or not.
            check("Gatehouse Test manual" in ours["b"], f"{tag}: b.test keeps its loaded certificate: {ours['b']}")
            if tag == "disable_certs":
                check(ours["a"] == "", f"{tag}: no certificate for a.test: {ours['a']}")
                check(ours["stored"] == [], f"{tag}: nothing managed in storage: {ours['stored']}")
            else:
                check(ours["a_verified"] is True, f"{tag}: a.test has a local-CA leaf verified by the stored root")
                want = ["a.test", "b.test"] if tag == "ignore_loaded_certs" else ["a.test"]
                check(ours["stored"] == want, f"{tag}: managed certificates in storage: {ours['stored']}")
            if theirs:
                for key in ("redirect", "stored"):
                    check(ours[key] == theirs[key], f"{tag}: {key} as caddy: {ours[key]} vs {theirs[key]}")
                for key in ("a", "b"):
                    same = ("Gatehouse Test manual" in ours[key]) == ("Gatehouse Test manual" in theirs[key]) and \
                        bool(ours[key]) == bool(theirs[key])
                    check(same, f"{tag}: {key}.test served by the same kind of issuer as caddy: "
                                f"{ours[key]!r} vs {theirs[key]!r}")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
