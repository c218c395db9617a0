"""`gatehouse completion bash` and the hidden `__complete` it calls, against caddy 2.6.2's
(cobra's protocol: "word<TAB>description" lines, then ":N", 4 = no file names):
- a real bash sources the script and completes: command names, a command's flags (a flag
  already given left out unless it repeats), file names for a flag's value, the shells;
- `__complete` offers caddy's commands and, for each, caddy's flags: the differences are
  listed here (Gatehouse's --workers and certs; flags Gatehouse does not have);
- caddy's errors for no shell or two; zsh/fish/powershell refused as not supported yet."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402

# Known differences of the flag sets, by command: (caddy only, gatehouse only).
KNOWN = {
    "help": ({"--help"}, set()),
    "trust": ({"--address"}, {"--storage"}),
    "untrust": ({"--adapter", "--address", "--cert", "--config"}, set()),
    **{c: (set(), {"--workers"}) for c in ("file-server", "respond", "reverse-proxy", "run", "start")},
}


def candidates(binary, words):
    r = subprocess.run([binary, "__complete", *words], capture_output=True, text=True, timeout=30)
    lines = r.stdout.splitlines()
    return {line.split("\t")[0] for line in lines[:-1]}, lines[-1] if lines else ""


def bash_complete(binary, script, words, cwd):
    """COMPREPLY of the sourced script for `gatehouse <words>` (the last word being typed)."""
    program = ('source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_gatehouse_complete\nprintf "%%s\\n" "${COMPREPLY[@]}"\n'
               % (script, " ".join("'%s'" % w for w in [binary, *words]), len(words)))
    r = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True, cwd=cwd, timeout=30)
    return sorted(line for line in r.stdout.splitlines() if line)


def main():
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="gh-completion-")
    try:
        script = os.path.join(work, "gatehouse.bash")
        r = subprocess.run([binary, "completion", "bash"], capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and "complete -o filenames -F _gatehouse_complete gatehouse" in r.stdout,
              "completion bash prints the script")
        with open(script, "w") as f:
            f.write(r.stdout)
        for name in ("Caddyfile", "Caddyfile.prod", "other.json"):
            open(os.path.join(work, name), "w").close()
        cases = [(["re"], ["reload", "respond", "reverse-proxy"]),
                 (["respond", "--listen", ":0", "--s"], ["--status"]),
                 (["respond", "--header", "A: b", "--h"], ["--header", "--help"]),
                 (["respond", "--listen", ":0", "--l"], []),
                 (["run", "--config", "Cadd"], ["Caddyfile", "Caddyfile.prod"]),
                 (["completion", ""], ["bash"])]
        for words, want in cases:
            got = bash_complete(binary, script, words, work)
            check(got == want, "bash completes %s: %s" % (words, got))
        caddy = shutil.which("caddy")
        if caddy:
            ours, directive = candidates(binary, [""])
            theirs, their_directive = candidates(caddy, [""])
            check(directive == their_directive == ":4", "commands: no file names (%s, %s)" % (directive, their_directive))
            check(theirs - ours == set() and ours - theirs == {"certs"},
                  "caddy's commands, and certs: caddy-only %s, gatehouse-only %s"
                  % (sorted(theirs - ours), sorted(ours - theirs)))
            for command in sorted(ours & theirs):
                a, _ = candidates(caddy, [command, "--"])
                b, _ = candidates(binary, [command, "--"])
                check((a - b, b - a) == KNOWN.get(command, (set(), set())),
                      "%s: caddy's flags (caddy-only %s, gatehouse-only %s)" % (command, sorted(a - b), sorted(b - a)))
            for words in (["adapt", "--config", ""], ["respond", ""], ["completion", ""], ["respond", "--st"]):
                check(candidates(binary, words)[1] == candidates(caddy, words)[1],
                      "the same directive for %s" % words)
        for args, want in [([], "Error: accepts 1 arg(s), received 0"), (["bash", "zsh"], "Error: accepts 1 arg(s), received 2"),
                           (["tcsh"], 'Error: invalid argument "tcsh" for "gatehouse completion"'),
                           (["zsh"], "Error: completion for zsh is not supported yet (bash only)")]:
            r = subprocess.run([binary, "completion", *args], capture_output=True, text=True, timeout=30)
            check(r.returncode == 1 and r.stderr.strip() == want, "completion %s: %r" % (args, r.stderr.strip()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
