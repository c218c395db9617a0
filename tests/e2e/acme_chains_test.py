#!/usr/bin/env python3
"""End-to-end: preferred_chains picks an `alternate` chain (RFC 8555 section 7.4.2).

Pebble with PEBBLE_ALTERNATE_ROOTS=1 offers each certificate under two roots; asking for the
alternate root's common name must yield the chain that ends below that root, and the
default must stay the first chain.
Usage: acme_chains_test.py <path-to-gatehouse>
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import check  # noqa: E402


def subject_cn(pem):
    p = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "multiline"], input=pem,
                       capture_output=True, text=True, timeout=30)
    for line in p.stdout.splitlines():
        if "commonName" in line:
            return line.split("=", 1)[1].strip()
    return ""


def last_issuer_cn(path):
    text = open(path).read()
    certs = ["-----BEGIN CERTIFICATE-----" + c for c in text.split("-----BEGIN CERTIFICATE-----")[1:]]
    p = subprocess.run(["openssl", "x509", "-noout", "-issuer", "-nameopt", "multiline"], input=certs[-1],
                       capture_output=True, text=True, timeout=30)
    for line in p.stdout.splitlines():
        if "commonName" in line:
            return line.split("=", 1)[1].strip()
    return ""


def main():
    return acme_pebble.run_with_pebble(run, env={"PEBBLE_ALTERNATE_ROOTS": "1"})


def run(binary, tmp, pebble):
    root0 = subject_cn(pebble.management("/roots/0"))
    root1 = subject_cn(pebble.management("/roots/1"))
    check(root0 and root1 and root0 != root1, f"two roots: {root0!r} {root1!r}")
    out = os.path.join(tmp, "out")
    config = os.path.join(tmp, "certs.Caddyfile")
    for i, (want, extra) in enumerate([(root0, ""),
                                       (root1, f"\tpreferred_chains {{\n\t\troot_common_name \"{root1}\"\n\t}}\n")]):
        block = f"certificates p{i}.test {{\n\tfullchain {out}/{i}.pem\n\tprivkey {out}/{i}.key\n}}\n"
        acme_pebble.write_certs_config(config, pebble, os.path.join(tmp, f"s{i}"), block, extra=extra)
        code, lines, raw, _ = acme_pebble.run_certs(binary, config)
        check(code == 0, f"run {i} exits 0:\n{raw[-2000:]}")
        if code == 0:
            got = last_issuer_cn(os.path.join(out, f"{i}.pem"))
            check(got == want, f"run {i}: chain ends below {want!r}, got {got!r}")


if __name__ == "__main__":
    sys.exit(main())
