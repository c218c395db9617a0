"""`gatehouse completion bash` and the hidden `__complete` it calls, against caddy 2.6.2's
(cobra's protocol: "word<TAB>description" lines, then ":N", 4 = no file names):
- a real bash sources the script and completes: command names, a command's flags (a flag
  already given left out unless it repeats), file names for a flag's value, the shells;
- `__complete` offers caddy's commands and, for each, caddy's flags: the differences are
  listed here (Gatehouse's --workers and certs; flags Gatehouse does not have);
- caddy's errors for no shell or two;
- zsh and fish: the scripts pass `zsh -n`/`fish -n`; fish completes through `complete -C`
  (its real completion engine); zsh, with compinit, registers _gatehouse for gatehouse, and
  the function run with _describe/_files standing in for the completion widgets (only a
  terminal runs those) hands them the candidates; powershell (no pwsh in Debian): the
  script's structure only."""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402

# Known differences of the flag sets, by command: (caddy only, gatehouse only).
KNOWN = {
    "help": ({"--help"}, set()),
    "trust": (set(), {"--storage"}),
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


def script_of(binary, shell, work):
    r = subprocess.run([binary, "completion", shell], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and "__complete" in r.stdout, "completion %s prints a script" % shell)
    path = os.path.join(work, "gatehouse." + shell)
    with open(path, "w") as f:
        f.write(r.stdout)
    return path, r.stdout


def fish_complete(script, line, work, env):
    r = subprocess.run(["fish", "--no-config", "-c", "source %s; complete -C%s" % (script, shlex.quote(line))],
                       capture_output=True, text=True, cwd=work, env=env, timeout=30)
    return sorted(entry.split("\t")[0] for entry in r.stdout.splitlines() if entry)


ZSH_DRIVER = """autoload -U compinit; compinit -u -d %s
source %s
print -r -- "registered=${_comps[gatehouse]}"
_describe() { print -rl -- "${(@P)4}" }
_files() { print -r -- FILES }
words=(%s)
CURRENT=${#words}
_gatehouse
print -r -- "rc=$?"
"""


def zsh_complete(script, words, work, env):
    program = ZSH_DRIVER % (os.path.join(work, "zcompdump"), script,
                            " ".join(shlex.quote(w) for w in ["gatehouse", *words]))
    r = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, cwd=work, env=env, timeout=30)
    return r.stdout.splitlines()


def other_shells(binary, work):
    """zsh, fish (real shells, installed by scripts/install-deps.sh) and powershell."""
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir, exist_ok=True)
    os.symlink(binary, os.path.join(bindir, "gatehouse"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    for shell in ("zsh", "fish"):
        if shutil.which(shell) is None:
            check(False, "%s is installed (scripts/install-deps.sh)" % shell)
            return
    fish, _ = script_of(binary, "fish", work)
    check(subprocess.run(["fish", "-n", fish], timeout=30).returncode == 0, "fish -n accepts the script")
    for line, want in [("gatehouse re", ["reload", "respond", "reverse-proxy"]),
                       ("gatehouse respond --listen :0 --s", ["--status"]),
                       ("gatehouse respond --header 'A: b' --h", ["--header", "--help"]),
                       ("gatehouse run --config Cadd", ["Caddyfile", "Caddyfile.prod"]),
                       ("gatehouse completion ", ["bash", "fish", "powershell", "zsh"]),
                       ("gatehouse untrust --c", ["--ca", "--cert", "--config"])]:
        got = fish_complete(fish, line, work, env)
        check(got == want, "fish completes %r: %s" % (line, got))
    zsh, _ = script_of(binary, "zsh", work)
    check(subprocess.run(["zsh", "-n", zsh], timeout=30).returncode == 0, "zsh -n accepts the script")
    out = zsh_complete(zsh, ["re"], work, env)
    check(out[0] == "registered=_gatehouse" and out[1:] == [
        "reload:Send a new config to a running gatehouse (admin endpoint POST /load)",
        "respond:Answer every request with a fixed response, as 'caddy respond' (for testing)",
        "reverse-proxy:Proxy one address to upstreams, as 'caddy reverse-proxy' (HTTPS for a host)", "rc=0"],
        "zsh: compdef registered, commands with descriptions: %s" % out)
    out = zsh_complete(zsh, ["run", "--config", "Cadd"], work, env)
    check(out[1:] == ["FILES", "rc=0"], "zsh: file names for a flag's value: %s" % out)
    out = zsh_complete(zsh, ["respond", "--listen", ":0", "--l"], work, env)
    check(out[1:] == ["rc=1"], "zsh: no candidate and no file names after a used flag: %s" % out)
    out = zsh_complete(zsh, ["completion", ""], work, env)
    check(out[1:] == ["bash", "zsh", "fish", "powershell", "rc=0"], "zsh: the shells: %s" % out)
    _, ps = script_of(binary, "powershell", work)
    check("Register-ArgumentCompleter -Native -CommandName 'gatehouse'" in ps and "__complete @before $partial" in ps
          and "CompletionResult]::new(" in ps and "-band 4" in ps, "powershell: the completer's parts")


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
                 (["completion", ""], ["bash", "fish", "powershell", "zsh"])]
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
                           (["tcsh"], 'Error: invalid argument "tcsh" for "gatehouse completion"')]:
            r = subprocess.run([binary, "completion", *args], capture_output=True, text=True, timeout=30)
            check(r.returncode == 1 and r.stderr.strip() == want, "completion %s: %r" % (args, r.stderr.strip()))
        other_shells(binary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
