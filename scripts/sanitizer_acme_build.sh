#!/bin/bash
# ASan+UBSan (default) or TSan (`--tsan`) for the automatic-HTTPS code without a full
# sanitizer build (364 objects, hours on a shared 2-core machine): acme/, src/tls/,
# src/server/ (workers, connections, reload) and the provision files around certificates
# and on-demand TLS are recompiled instrumented (84 objects; for TSan the 45 where the
# manager's thread, the workers and the DNS threads meet; through ccache when installed),
# and linked with the rest of an existing build/ (RelWithDebInfo, uninstrumented)
# into build-asan-acme/ or build-tsan-acme/ (gatehouse and unit_tests). Needs build/
# configured and built first. Then, for example:
#   build-tsan-acme/unit_tests '[acme],[localca]'
#   python3 tests/e2e/ondemand_internal_test.py build-tsan-acme/gatehouse
# SANITIZE_ONLY="<folders and files>" instruments just those (a quicker look at a change;
# folders with their subfolders). SANITIZE_OPT="-O0 -g1" replaces the optimisation flags.
# `--all` (ASan+UBSan) or `--tsan --all` instruments every file of src/, acme/ and parser/
# (366 objects, the request path first) into build-asan-all/ or build-tsan-all/; only the
# unit tests' own files and main.cpp stay uninstrumented. Then scripts/sanitizer_suite.py
# runs the whole ctest suite against those binaries, failing a test on any report.
# Uninstrumented code is not checked (ASan still checks leaks everywhere; TSan sees the
# accesses of the instrumented files only, and mutexes everywhere).
set -e
cd "$(dirname "$0")/.."
SAN=address,undefined
OUT_NAME=build-asan-acme
# GCC leaves float-cast-overflow out of -fsanitize=undefined; a JSON config's number read
# into an int (nlohmann's get<int>() of a double) is exactly that undefined conversion.
EXTRA="-fsanitize=float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow"
ALL=""
for arg in "$@"; do
  case "$arg" in
    --tsan) SAN=thread; EXTRA="" ;;
    --all) ALL=1 ;;
    *) echo "usage: $0 [--tsan] [--all]" >&2; exit 2 ;;
  esac
done
if [ "$SAN" = thread ]; then
  OUT_NAME=build-tsan-acme
fi
if [ -n "$ALL" ]; then
  OUT_NAME=${OUT_NAME%-acme}-all
fi
ROOT=$(pwd)
OUT=$ROOT/$OUT_NAME
mkdir -p "$OUT"
LAUNCH=""
if command -v ccache >/dev/null; then
  LAUNCH="env CCACHE_BASEDIR=$ROOT ccache"
fi
ROOT=$ROOT OUT=$OUT SAN=$SAN EXTRA=$EXTRA LAUNCH=$LAUNCH ONLY=$SANITIZE_ONLY OPT=$SANITIZE_OPT ALL=$ALL python3 - <<'PY' > "$OUT/cmds.txt"
import glob, json, os
root, out, san = os.environ["ROOT"], os.environ["OUT"], os.environ["SAN"]
db = {e["file"]: e for e in json.load(open(os.path.join(root, "build", "compile_commands.json")))}
def tree(*dirs):
    return [f for d in dirs for f in sorted(glob.glob(root + "/" + d + "/*.cpp"))]
def deep(d):
    return sorted(glob.glob(root + "/" + d + "/**/*.cpp", recursive=True))
if san == "thread":
    # Where threads meet: the manager's loop thread, the serving workers (TLS contexts,
    # paused on-demand handshakes, challenge answers), the DNS helper threads.
    want = tree("acme/manager", "acme/http", "acme/solvers", "acme/storage", "acme/log", "acme/util",
                "src/tls", "src/server")
    want += [root + "/acme/dns/off_loop.cpp", root + "/acme/dns/propagation_check.cpp"]
    want += [root + "/src/provision/" + f for f in ("managed_certificates.cpp", "on_demand_provision.cpp")]
else:
    want = sorted(glob.glob(root + "/acme/**/*.cpp", recursive=True)) + tree("src/tls", "src/server")
    want += [root + "/src/provision/" + f for f in ("managed_certificates.cpp", "on_demand_provision.cpp", "provision.cpp",
                                                    "internal_certificates.cpp", "internal_provision.cpp",
                                                    "tls_provision.cpp")]
if os.environ.get("ALL"):
    # The request path first, so a look at a partial run already covers the most traffic.
    first = ["src/server", "src/http", "src/proxy", "src/handlers", "src/router", "src/tls", "src/log"]
    want = [f for d in first + ["src", "acme", "parser"] for f in deep(d)]
    want = [f for i, f in enumerate(want) if f not in want[:i] and not f.endswith("/src/main.cpp")]
if os.environ.get("ONLY"):
    # SANITIZE_ONLY="acme/manager src/tls/certificate_store.cpp ...": folders and files.
    want = [f for x in os.environ["ONLY"].split() for f in (deep(x) if os.path.isdir(root + "/" + x) else [root + "/" + x])]
for f in want:
    e = db[f]
    obj = os.path.join(out, os.path.relpath(f, root)) + ".o"
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    parts = e["command"].split()
    parts[parts.index("-o") + 1] = obj
    # No -Werror: the sanitizers' code paths bring warnings of their own at -O1.
    parts = [p for p in parts if p not in ("-O2", "-DNDEBUG", "-MD", "-Werror")]
    for flag in ("-MT", "-MF"):
        if flag in parts:
            i = parts.index(flag)
            del parts[i:i + 2]
    c = parts.index("-c")
    # TSan: -O0 and line tables only, to compile faster (the uninstrumented rest stays -O2).
    opt = ["-O0", "-g1"] if san == "thread" else ["-O1"] + (["-g1"] if os.environ.get("ALL") else [])
    # SANITIZE_OPT="-O0 -g1": about twice as quick to compile the template-heavy parser and
    # acme files under ASan on a loaded machine (ccache hits need the same flags, though).
    opt = os.environ.get("OPT", "").split() or opt
    parts[c:c] = opt + ["-fsanitize=" + san, "-fno-omit-frame-pointer"] + os.environ["EXTRA"].split()
    launch = os.environ["LAUNCH"]
    print("cd " + e["directory"] + " && " + (launch + " " if launch else "") + " ".join(parts))
PY
xargs -P 2 -I CMD -d '\n' bash -c 'CMD' < "$OUT/cmds.txt"
objs=$(find "$OUT" -name '*.o' | sort)
libs="libgatehouse_runtime.a libgatehouse_parser.a third_party/llhttp/libllhttp.a -lre2 -luv -lnghttp2 -lzstd -lcrypt
  -lldns -lssl -lcrypto -lcurl -lz"
cd build
# The instrumented objects come first, so the archives' copies of them are never pulled in,
# and first of all objects: the linker keeps the first copy of every inline function (COMDAT),
# and an uninstrumented copy of, say, shared_ptr's reference count release (every unit test
# object has one) hides its atomics from TSan, which then reports the object's deletion as a
# race with the last use by another thread.
c++ -O1 -g -fsanitize=$SAN -pthread $objs CMakeFiles/gatehouse.dir/src/main.cpp.o $libs -o "$OUT/gatehouse"
c++ -O1 -g -fsanitize=$SAN -pthread $objs $(find tests/CMakeFiles/unit_tests.dir -name '*.o' | sort) $libs \
  -o "$OUT/unit_tests"
if [ -n "$ALL" ]; then
  # With the parser instrumented too, the adapter fixture runner is worth checking.
  c++ -O1 -g -fsanitize=$SAN -pthread tests/CMakeFiles/adapt_corpus_runner.dir/corpus/adapt_corpus_runner.cpp.o \
    $(find "$OUT" -path "$OUT/parser/*.o" | sort) libgatehouse_parser.a -lre2 -o "$OUT/adapt_corpus_runner"
fi
echo "built $OUT/gatehouse and $OUT/unit_tests"
