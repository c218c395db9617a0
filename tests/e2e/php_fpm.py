"""A real php-fpm (Debian's php8.2-fpm) started by a test: its own master process with one
pool on a loopback port and one on a unix socket, in a temporary prefix, no php.ini (-n,
so the system's settings do not leak in), never the system service; stopped by pid.
Also writes the PHP scripts the fastcgi tests share into a document root."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

SCRIPTS = {
    # Everything PHP saw: $_SERVER (minus the clock), the body's hash and length, $_POST.
    "index.php": r"""<?php
header('Content-Type: application/json');
$s = $_SERVER; unset($s['REQUEST_TIME'], $s['REQUEST_TIME_FLOAT']);
$ctx = hash_init('sha256'); $in = fopen('php://input', 'rb'); $n = 0;
while (!feof($in)) { $b = fread($in, 65536); if ($b === false) break; $n += strlen($b); hash_update($ctx, $b); }
echo json_encode(['script' => __FILE__, 'server' => $s, 'body_sha256' => hash_final($ctx), 'body_len' => $n, 'post' => $_POST]);
""",
    "status.php": r"""<?php
http_response_code(418);
header('X-Custom: one');
header('X-Custom: two', false);
setcookie('c1', 'v1');
error_log('hello from stderr');
echo "teapot\n";
""",
    "redirect.php": r"""<?php
header('Location: /elsewhere', true, 302);
""",
    "stream.php": r"""<?php
header('Content-Type: text/event-stream');
header('Cache-Control: no-cache');
while (ob_get_level()) ob_end_flush();
for ($i = 0; $i < 3; $i++) { echo "data: event $i\n\n"; flush(); usleep(700000); }
""",
    # ?mb=N megabytes of a repeating pattern, flushed every 64 KiB.
    "big.php": r"""<?php
header('Content-Type: application/octet-stream');
while (ob_get_level()) ob_end_flush();
$chunk = str_repeat('0123456789abcdef', 4096);
$n = intval($_GET['mb'] ?? 1) * 16;
for ($i = 0; $i < $n; $i++) { echo $chunk; flush(); }
""",
    "slow.php": r"""<?php
sleep(3);
echo "late\n";
""",
    "sub/index.php": r"""<?php
echo "sub index ", $_SERVER['SCRIPT_NAME'], "\n";
""",
    "static.txt": "plain static file\n",
}


def write_site(root):
    for name, text in SCRIPTS.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def binary():
    for name in ("php-fpm8.2", "php-fpm"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if path:
            return path
    return None


class PhpFpm:
    def __init__(self, port, unix_path=None, children=4):
        self.dir = tempfile.mkdtemp(prefix="gh-php-fpm-")
        self.port = port
        self.unix_path = unix_path
        conf = os.path.join(self.dir, "php-fpm.conf")
        pools = [("tcp", "127.0.0.1:%d" % port)]
        if unix_path:
            pools.append(("unix", unix_path))
        with open(conf, "w") as f:
            f.write("[global]\nerror_log = %s/php-fpm.log\ndaemonize = no\npid = %s/php-fpm.pid\n"
                    % (self.dir, self.dir))
            for name, listen in pools:
                f.write("[%s]\nlisten = %s\nlisten.mode = 0666\npm = static\npm.max_children = %d\n"
                        "clear_env = yes\ncatch_workers_output = no\n"
                        "php_admin_value[post_max_size] = 0\nphp_admin_value[output_buffering] = 0\n"
                        "php_admin_value[log_errors] = 1\nphp_admin_value[display_errors] = 0\n"
                        % (name, listen, children))
        args = [binary(), "-n", "-F", "-y", conf, "-p", self.dir]
        if os.geteuid() == 0:
            args.append("-R")
        self.log = open(os.path.join(self.dir, "stdout.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                if not unix_path or os.path.exists(unix_path):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        log = self.read_log()
        self.stop()
        raise RuntimeError("php-fpm did not start:\n" + log)

    def read_log(self):
        text = ""
        for name in ("stdout.log", "php-fpm.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # the master stops its children (SIGTERM: fast shutdown)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
