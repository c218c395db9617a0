"""`tracing`: W3C trace-context propagation as Caddy 2.6.2's OpenTelemetry handler does it
(otel-go's TraceContext propagator, ParentBased(AlwaysSample) sampler). A reverse_proxy
upstream sees the request's server span as its parent: the client's trace id (and sampled
flag, and normalised tracestate) when the client sent a valid traceparent, else a new
sampled trace. Span export (OTLP over gRPC) is not implemented, so a configured exporter
endpoint stops start-up. Debian's caddy 2.6.2 is built without the tracing module, so the
expectations come from Caddy's and otel-go's documented behaviour; when a caddy with
http.handlers.tracing is installed, the upstream's view is compared with it too."""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, free_port, start, stop  # noqa: E402
from proxy_upstreams import Upstream  # noqa: E402

CADDYFILE = """{
	admin off
	auto_https off
}

http://127.0.0.1:%(port)d {
	tracing {
		span api
	}
	handle /show {
		respond "{http.request.header.traceparent}|{http.request.header.tracestate}"
	}
	handle {
		reverse_proxy %(upstream)s
	}
}
"""

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
SHAPE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$")


def upstream_view(port, headers):
    req = urllib.request.Request("http://127.0.0.1:%d/echo" % port, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = json.loads(r.read())
    fields = body["headers"]
    if isinstance(fields, list):
        fields = {k.lower(): v for k, v in fields}
    else:
        fields = {k.lower(): v for k, v in fields.items()}
    return fields.get("traceparent"), fields.get("tracestate")


def shape(value):
    m = SHAPE.match(value or "")
    return m.groups() if m else None


def check_propagation(port, who):
    tp, _ = upstream_view(port, {})
    first = shape(tp)
    check(first is not None and first[2] == "01", "%s: no traceparent -> a new sampled trace: %r" % (who, tp))
    second = shape(upstream_view(port, {})[0])
    check(first and second and first[0] != second[0], "%s: each request without a parent starts its own trace" % who)

    tp, ts = upstream_view(port, {"traceparent": "00-%s-%s-01" % (TRACE, SPAN), "tracestate": "congo=t61, rojo=00f0"})
    got = shape(tp)
    check(got is not None and got[0] == TRACE and got[1] != SPAN and got[2] == "01",
          "%s: a client's traceparent is continued (same trace, new parent span): %r" % (who, tp))
    check(ts == "congo=t61,rojo=00f0", "%s: its tracestate goes on, normalised: %r" % (who, ts))

    tp, _ = upstream_view(port, {"traceparent": "00-%s-%s-00" % (TRACE, SPAN)})
    got = shape(tp)
    check(got is not None and got[0] == TRACE and got[2] == "00", "%s: an unsampled parent stays unsampled: %r" % (who, tp))

    tp, ts = upstream_view(port, {"traceparent": "00-%s-%s-01" % (TRACE.upper(), SPAN), "tracestate": "a=1"})
    got = shape(tp)
    check(got is not None and got[0] != TRACE.lower() and got[2] == "01",
          "%s: a malformed traceparent starts a new trace: %r" % (who, tp))
    check(ts == "a=1", "%s: the client's tracestate is left as it was without a parent: %r" % (who, ts))

    tp, ts = upstream_view(port, {"traceparent": "00-%s-%s-01" % (TRACE, SPAN), "tracestate": "A=1"})
    check(ts == "A=1" and shape(tp)[0] == TRACE, "%s: a tracestate that does not parse is not rewritten" % who)

    with urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/show" % port, headers={"traceparent": "00-%s-%s-01" % (TRACE, SPAN)}), timeout=10) as r:
        shown = r.read().decode()
    tp, _ = shown.split("|", 1)
    check(shape(tp) is not None and shape(tp)[0] == TRACE and shape(tp)[1] != SPAN,
          "%s: placeholders see the injected traceparent: %r" % (who, shown))


def run_gatehouse(binary, tmp, text, env_extra):
    cfg = os.path.join(tmp, "Caddyfile")
    with open(cfg, "w") as f:
        f.write(text)
    return subprocess.run([binary, "run", "--config", cfg, "--adapter", "caddyfile"], capture_output=True, text=True,
                          timeout=30, env=dict(os.environ, **env_extra))


def main():
    binary = os.path.abspath(sys.argv[1])
    up = Upstream()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            text = CADDYFILE % {"port": port, "upstream": up.dial}
            cfg = os.path.join(tmp, "Caddyfile")
            with open(cfg, "w") as f:
                f.write(text)
            env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
            proc, _, drain, _ = start(binary, cfg, adapter="caddyfile", workers=1, env=env)
            try:
                check_propagation(port, "gatehouse")
            finally:
                stop(proc, drain)

            refused = run_gatehouse(binary, tmp, text, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"})
            check(refused.returncode != 0 and "OTEL_EXPORTER_OTLP_ENDPOINT" in refused.stderr
                  and "not supported yet" in refused.stderr, "a configured OTLP endpoint is refused: %r"
                  % refused.stderr[-300:])
            refused = run_gatehouse(binary, tmp, text, {"OTEL_PROPAGATORS": "b3"})
            check(refused.returncode != 0 and "b3" in refused.stderr and "not supported yet" in refused.stderr,
                  "an unsupported propagator is refused")

            # OTEL_PROPAGATORS without tracecontext: the client's traceparent passes untouched.
            proc, _, drain, _ = start(binary, cfg, adapter="caddyfile", workers=1,
                                      env=dict(env, OTEL_PROPAGATORS="baggage"))
            try:
                sent = "00-%s-%s-01" % (TRACE, SPAN)
                check(upstream_view(port, {"traceparent": sent})[0] == sent,
                      "OTEL_PROPAGATORS=baggage: no trace context injected")
            finally:
                stop(proc, drain)

            modules = subprocess.run(["caddy", "list-modules"], capture_output=True, text=True, timeout=30).stdout \
                if shutil_which("caddy") else ""
            if "http.handlers.tracing" in modules:
                from caddy_peer import CaddyPeer
                cport = free_port()
                peer = CaddyPeer(CADDYFILE % {"port": cport, "upstream": up.dial}, [cport], name="tracing")
                try:
                    check_propagation(cport, "caddy")
                finally:
                    peer.stop()
            else:
                print("note: this caddy has no http.handlers.tracing module; no comparison run")
    finally:
        up.close()
    return finish()


def shutil_which(name):
    import shutil
    return shutil.which(name)


if __name__ == "__main__":
    sys.exit(main())
