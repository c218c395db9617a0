#!/usr/bin/env python3
"""End-to-end: `gatehouse certs` (certificate service mode) writes fullchain.pem and
privkey.pem with the `owner USER [GROUP]` and `mode` of its certificates block, against
Debian's pebble (HTTP-01, default 5% nonce rejection).

Runs as root (chown needs it; skipped otherwise) with users and groups every Debian system
has: nobody/nogroup, daemon, ssl-cert (the group TLS keys are usually shared with).

 1. owner nobody nogroup, no mode: privkey 0600, fullchain 0644, both nobody:nogroup; the
    deploy hook runs once.
 2. owner daemon ssl-cert, mode 0640: the same certificate (no new order) is re-owned and
    re-moded (both files daemon:ssl-cert 0640) and the deploy hook runs again, since what
    the other server reads changed.
 3. owner nobody (no group): nobody's primary group; back to 0600/0644.
 4. The same config again: nothing written, no deploy.
 5. An unknown user: the run fails naming it; the files keep their owner and mode.
No temporary file is left next to the outputs. Usage: acme_service_owner_test.py <gatehouse>
"""
import grp
import os
import pwd
import stat
import sys

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import check  # noqa: E402


def needs():
    if os.geteuid() != 0:
        print("SKIP: chown of the written files needs root")
        sys.exit(77)
    try:
        pwd.getpwnam("nobody"), pwd.getpwnam("daemon"), grp.getgrnam("nogroup"), grp.getgrnam("ssl-cert")
    except KeyError as e:
        print(f"SKIP: {e} missing on this system")
        sys.exit(77)


def write_config(path, pebble, storage, out, marker, owner, mode=None):
    mode_line = f"\tmode {mode}\n" if mode else ""
    acme_pebble.write_certs_config(path, pebble, storage, f"""certificates a.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
\towner {owner}
{mode_line}\tdeploy "echo deployed >> {marker}"
}}
""")


def ownership(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)


def expect_files(out, user, group, key_mode, chain_mode, what):
    key = ownership(os.path.join(out, "privkey.pem"))
    chain = ownership(os.path.join(out, "fullchain.pem"))
    check(key == (user, group, key_mode), f"{what}: privkey.pem {user}:{group} {key_mode:o}: got {key[0]}:{key[1]} "
          f"{key[2]:o}")
    check(chain == (user, group, chain_mode), f"{what}: fullchain.pem {user}:{group} {chain_mode:o}: got "
          f"{chain[0]}:{chain[1]} {chain[2]:o}")


def deploys(marker):
    return open(marker).read().count("deployed") if os.path.exists(marker) else 0


def run(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    out = os.path.join(tmp, "out")
    marker = os.path.join(tmp, "deployed")
    config = os.path.join(tmp, "certs.Caddyfile")

    write_config(config, pebble, storage, out, marker, "nobody nogroup")
    code, log, raw, _ = acme_pebble.run_certs(binary, config)
    check(code == 0, f"1: certificate obtained and written (exit {code}):\n{raw[-2000:]}")
    if code != 0:
        return
    expect_files(out, "nobody", "nogroup", 0o600, 0o644, "1: owner nobody nogroup, default modes")
    check(deploys(marker) == 1, "1: deploy hook ran once")

    write_config(config, pebble, storage, out, marker, "daemon ssl-cert", "0640")
    code, log, raw, _ = acme_pebble.run_certs(binary, config)
    msgs = acme_pebble.messages(log)
    check(code == 0 and "creating order" not in msgs, f"2: no new order (exit {code}):\n{raw[-1500:]}")
    expect_files(out, "daemon", "ssl-cert", 0o640, 0o640, "2: owner daemon ssl-cert, mode 0640")
    check(deploys(marker) == 2, "2: deploy hook ran again (owner and mode changed)")

    primary = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    write_config(config, pebble, storage, out, marker, "nobody")
    code, _, raw, _ = acme_pebble.run_certs(binary, config)
    check(code == 0, f"3: exit 0:\n{raw[-1500:]}")
    expect_files(out, "nobody", primary, 0o600, 0o644, "3: owner nobody alone takes its primary group")
    check(deploys(marker) == 3, "3: deploy hook ran")

    before = [os.stat(os.path.join(out, f)).st_mtime_ns for f in ("privkey.pem", "fullchain.pem")]
    code, log, raw, _ = acme_pebble.run_certs(binary, config)
    msgs = acme_pebble.messages(log)
    check(code == 0 and "certificate files up to date" in msgs, f"4: files up to date:\n{raw[-1500:]}")
    after = [os.stat(os.path.join(out, f)).st_mtime_ns for f in ("privkey.pem", "fullchain.pem")]
    check(before == after and deploys(marker) == 3, "4: nothing rewritten, no deploy")

    write_config(config, pebble, storage, out, marker, "gatehouse-no-such-user nogroup")
    code, log, raw, _ = acme_pebble.run_certs(binary, config)
    check(code != 0 and "unknown user 'gatehouse-no-such-user'" in raw,
          f"5: an unknown user fails the run, named (exit {code}): {raw[-600:]}")
    expect_files(out, "nobody", primary, 0o600, 0o644, "5: files unchanged")
    check(deploys(marker) == 3, "5: no deploy")
    check(sorted(os.listdir(out)) == ["fullchain.pem", "privkey.pem"], f"no temporary file left: {os.listdir(out)}")


if __name__ == "__main__":
    needs()
    sys.exit(acme_pebble.run_with_pebble(run))
