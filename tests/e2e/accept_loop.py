"""The accept loop of the tests' hand-written peers: each accepted connection is served by
the subclass's `_serve(conn)` on a thread of its own until `close()` shuts the listener."""

import threading


class AcceptLoop:
    sock = None  # the listening socket, bound by the subclass

    def close(self):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
