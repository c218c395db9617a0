"""Shared by the browser e2e scripts: a small W3C WebDriver client (stdlib urllib only) that
starts Debian's chromedriver on a free loopback port and drives a headless Chromium.

Why our own client: PyPI (selenium) is not reachable from the build machines, and the few
WebDriver commands the tests need are plain JSON over HTTP. Every request has a timeout;
on close, the session is deleted and chromedriver and every process it started (Chromium's
browser, zygote, renderer, GPU and network processes) are killed by pid.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import ports  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
HEADLESS_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--metrics-recording-only", "--password-store=basic",
                 "--disable-breakpad", "--disable-crash-reporter"]


def available():
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def skip_if_unavailable(name):
    """Exits 77 (ctest's skip code here) when Chromium is not installed; prints why."""
    if not os.path.exists(CHROMIUM):
        print("SKIP %s: %s is not installed (apt-get install chromium chromium-driver)" % (name, CHROMIUM),
              flush=True)
        raise SystemExit(77)
    if not os.path.exists(CHROMEDRIVER):
        raise SystemExit("%s is installed but %s is not (apt-get install chromium-driver)" % (CHROMIUM, CHROMEDRIVER))


class WebDriverError(Exception):
    pass


_free_port = ports.free_port


def _descendants(root):
    """Pids of every live process below `root` (from /proc's parent links)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class Browser:
    """One chromedriver + one Chromium session. Use as a context manager."""

    def __init__(self, extra_args=(), accept_insecure=False, download_dir=None, timeout=30):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="gatehouse-chromium-")
        self.port = _free_port()
        self.log_path = os.path.join(self.profile, "chromedriver.log")
        self._log = open(self.log_path, "w")
        # A session of its own: chromedriver and Chromium form one process group, killed together.
        # No --allowed-ips: with it chromedriver listens on every interface; without, loopback only.
        self.proc = subprocess.Popen([CHROMEDRIVER, "--port=%d" % self.port],
                                     stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.session = None
        try:
            self._wait_ready()
            args = HEADLESS_ARGS + ["--user-data-dir=" + os.path.join(self.profile, "data")] + list(extra_args)
            options = {"binary": CHROMIUM, "args": args}
            if download_dir:
                options["prefs"] = {"download.default_directory": download_dir,
                                    "download.prompt_for_download": False,
                                    "download.directory_upgrade": True,
                                    "safebrowsing.enabled": False}
            caps = {"browserName": "chrome", "acceptInsecureCerts": accept_insecure,
                    "pageLoadStrategy": "normal", "goog:chromeOptions": options,
                    "timeouts": {"script": timeout * 1000, "pageLoad": timeout * 1000, "implicit": 0}}
            value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}}, timeout=60)
            self.session = value["sessionId"]
            self.capabilities = value.get("capabilities", {})
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if kind is not None:  # a failed command: chromedriver's side of the story
            print("chromedriver log (tail):\n" + self._log_tail(), flush=True)
        self.close()

    def _wait_ready(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise WebDriverError("chromedriver exited: " + self._log_tail())
            try:
                if self._call("GET", "/status", timeout=2).get("ready"):
                    return
            except (OSError, WebDriverError):
                pass
            time.sleep(0.1)
        raise WebDriverError("chromedriver not ready within 20 s: " + self._log_tail())

    def _log_tail(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def _call(self, method, path, body=None, timeout=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never an http_proxy
        try:
            with opener.open(req, timeout=timeout or self.timeout + 10) as resp:
                return json.loads(resp.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:  # WebDriver errors come with a 4xx/5xx status
            try:
                value = json.loads(e.read()).get("value") or {}
            except ValueError:
                value = {}
            raise WebDriverError("%s %s: HTTP %d %s: %s" % (method, path, e.code, value.get("error"),
                                                          str(value.get("message", ""))[:600]))

    def _s(self, path):
        return "/session/%s%s" % (self.session, path)

    # Commands the tests use.
    def get(self, url):
        self._call("POST", self._s("/url"), {"url": url})

    def current_url(self):
        return self._call("GET", self._s("/url"))

    def script(self, source, *args):
        return self._call("POST", self._s("/execute/sync"), {"script": source, "args": list(args)})

    def async_script(self, source, *args):
        """`source` ends by calling arguments[arguments.length - 1](result)."""
        return self._call("POST", self._s("/execute/async"), {"script": source, "args": list(args)})

    def find(self, css):
        return self._call("POST", self._s("/element"), {"using": "css selector", "value": css})[ELEMENT]

    def click(self, element):
        self._call("POST", self._s("/element/%s/click" % element), {})

    def close(self):
        if self.session:
            try:
                self._call("DELETE", self._s(""), timeout=10)
            except (OSError, WebDriverError):
                pass
            self.session = None
        pids = []
        if self.proc.poll() is None:
            pids = _descendants(self.proc.pid)
            for pid in [self.proc.pid] + pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group is chromedriver's own (new session)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.time() + 5  # Chromium's processes, reparented once chromedriver died
        while time.time() < deadline and any(os.path.exists("/proc/%d" % p) and not _zombie(p) for p in pids):
            time.sleep(0.05)
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
