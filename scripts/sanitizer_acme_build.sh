#!/bin/bash
# ASan+UBSan for the automatic-HTTPS code without a full sanitizer build (364 objects, hours
# on a shared 2-core machine): acme/, src/tls/ and the provision/connection files around
# on-demand TLS are recompiled instrumented (75 objects), and linked with the rest of an
# existing build/ (RelWithDebInfo, uninstrumented) into build-asan-acme/gatehouse and
# build-asan-acme/unit_tests. Needs build/ configured and built first. Then, for example:
#   build-asan-acme/unit_tests '[acme],[localca]'
#   python3 tests/e2e/ondemand_internal_test.py build-asan-acme/gatehouse
# Uninstrumented code is not checked for memory errors (leaks are, everywhere).
set -e
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/build-asan-acme
mkdir -p "$OUT"
ROOT=$ROOT OUT=$OUT python3 - <<'PY' > "$OUT/cmds.txt"
import glob, json, os
root, out = os.environ["ROOT"], os.environ["OUT"]
db = {e["file"]: e for e in json.load(open(os.path.join(root, "build", "compile_commands.json")))}
want = sorted(glob.glob(root + "/acme/**/*.cpp", recursive=True)) + sorted(glob.glob(root + "/src/tls/*.cpp"))
want += [root + "/src/provision/" + f for f in ("managed_certificates.cpp", "on_demand_provision.cpp", "provision.cpp",
                                                "internal_certificates.cpp", "internal_provision.cpp", "tls_provision.cpp")]
want += [root + "/src/server/connection.cpp"]
for f in want:
    e = db[f]
    obj = os.path.join(out, os.path.relpath(f, root)) + ".o"
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    parts = e["command"].split()
    parts[parts.index("-o") + 1] = obj
    parts = [p for p in parts if p not in ("-O2", "-DNDEBUG", "-MD")]
    for flag in ("-MT", "-MF"):
        if flag in parts:
            i = parts.index(flag)
            del parts[i:i + 2]
    c = parts.index("-c")
    parts[c:c] = ["-O1", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    print("cd " + e["directory"] + " && " + " ".join(parts))
PY
xargs -P 2 -I CMD -d '\n' bash -c 'CMD' < "$OUT/cmds.txt"
objs=$(find "$OUT" -name '*.o' | sort)
libs="libgatehouse_runtime.a libgatehouse_parser.a third_party/llhttp/libllhttp.a -lre2 -luv -lnghttp2 -lzstd -lcrypt
  -lldns -lssl -lcrypto -lcurl -lz"
cd build
# The instrumented objects come first, so the archives' copies of them are never pulled in.
c++ -O1 -g -fsanitize=address,undefined -pthread CMakeFiles/gatehouse.dir/src/main.cpp.o $objs $libs -o "$OUT/gatehouse"
c++ -O1 -g -fsanitize=address,undefined -pthread $(find tests/CMakeFiles/unit_tests.dir -name '*.o' | sort) $objs $libs \
  -o "$OUT/unit_tests"
echo "built $OUT/gatehouse and $OUT/unit_tests"
