"""The `ask` endpoint of on-demand TLS for the e2e tests: GET /check?domain=NAME answers 200
for the allowed names and 403 otherwise, after a short pause that keeps concurrent handshakes
waiting on one decision (`slow.test` waits `slow_seconds`); every name asked is recorded."""
import http.server
import threading
import time
import urllib.parse


class AskServer:
    def __init__(self, allowed, slow_seconds):
        self.asked = []
        asked = self.asked

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                name = q.get("domain", [""])[0]
                asked.append(name)
                time.sleep(slow_seconds if name == "slow.test" else 0.2)
                self.send_response(200 if name in allowed else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
