"""`gatehouse build-info`, the counterpart of `caddy build-info` (whose Go build info has no
C++ equivalent, so nothing is compared with caddy): exit 0, the compiler/target/main lines,
and each shared library's version as the running binary reports it equal to the version
pkg-config gives for the installed package (openssl: `openssl version`)."""
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402

PKG = {"libuv": "libuv", "nghttp2": "libnghttp2", "libcurl": "libcurl", "zlib": "zlib", "zstd": "libzstd",
       "ldns": "ldns"}


def main():
    binary = os.path.abspath(sys.argv[1])
    r = subprocess.run([binary, "build-info"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and r.stderr == "", "build-info exits 0 quietly (%s, %r)" % (r.returncode, r.stderr))
    lines = r.stdout.splitlines()
    fields = dict(line.split(":", 1) for line in lines if ":" in line and not line.startswith(" "))
    version = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=30).stdout.split()[-1]
    check(fields.get("main", "").strip() == "gatehouse " + version, "main names the version: %r" % fields.get("main"))
    check(fields.get("os", "").strip() == "linux" and fields.get("compiler", "").strip() != "",
          "compiler and target lines")
    deps = {}
    if "dependencies:" in lines:
        for line in lines[lines.index("dependencies:") + 1:]:
            name, _, rest = line.partition(" ")
            deps[name] = rest
    if shutil.which("pkg-config"):
        for name, package in PKG.items():
            want = subprocess.run(["pkg-config", "--modversion", package], capture_output=True, text=True).stdout.strip()
            if want:
                check(deps.get(name) == want, "%s %s as pkg-config says (%r)" % (name, want, deps.get(name)))
    if shutil.which("openssl"):
        want = " ".join(subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.split()[:2])
        check(deps.get("openssl", "").startswith(want), "openssl: %r starts with %r" % (deps.get("openssl"), want))
    for name in ("llhttp", "nlohmann_json", "re2"):
        check(name in deps, "%s listed" % name)
    r = subprocess.run([binary, "build-info", "extra"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "an argument is ignored, as caddy 2.6.2 does (%s)" % r.returncode)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
