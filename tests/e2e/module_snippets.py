"""A minimal JSON config using each module of caddy 2.6.2's `list-modules` (and the newer
ones Gatehouse also knows), for checking which modules a server really provisions: `validate`
of the config succeeds only when the module is there. None for the modules every config has
(the admin API's, the Caddyfile adapter, the http/tls/pki apps themselves)."""

LOOP = "127.0.0.1:1"
NO_TRUST = {"certificate_authorities": {"local": {"install_trust": False}}}
# A self-signed P-256 pair for the load_* certificate modules (test data, no secret).
CERT = None  # filled by the test (made with openssl at run time)
KEY = None


def http(route=None, server_extra=None, apps_extra=None, top=None):
    server = {"listen": ["127.0.0.1:%d" % 29999], "routes": [route or {"handle": [{"handler": "static_response"}]}]}
    server.update(server_extra or {})
    cfg = {"apps": {"http": {"servers": {"s": server}}, "pki": NO_TRUST}}
    cfg["apps"].update(apps_extra or {})
    cfg.update(top or {})
    return cfg


def handler(h):
    return http({"handle": [h]})


def matcher(m):
    return http({"match": [m], "handle": [{"handler": "static_response"}]})


def proxy(**fields):
    h = {"handler": "reverse_proxy", "upstreams": [{"dial": LOOP}]}
    h.update(fields)
    return handler(h)


def log(encoder=None, writer=None):
    default = {}
    if encoder:
        default["encoder"] = encoder
    if writer:
        default["writer"] = writer
    return http(top={"logging": {"logs": {"default": default}}})


def filtered(f):
    return log(encoder={"format": "filter", "wrap": {"format": "json"}, "fields": {"request>uri": f}})


def tls(tls_app, server_extra=None):
    return http(server_extra=server_extra, apps_extra={"tls": tls_app})


def issuer(i):
    return tls({"automation": {"policies": [{"subjects": ["a.test"], "issuers": [i]}]}})


def snippets(files_dir):
    """module id -> config (or None: present in every config, not checkable alone)."""
    cert_file, key_file = files_dir + "/c.pem", files_dir + "/k.pem"
    bcrypt = "$2a$14$X3ulqf/iGxnf1k6oMZ.RZeJUoqI9PX2PM4rS5lkIKJXduLGXGPrt6"
    return {
        "admin.api.load": None, "admin.api.metrics": None, "admin.api.pki": None,
        "admin.api.reverse_proxy": None, "caddy.adapters.caddyfile": None, "http": None, "tls": None, "pki": None,
        "caddy.config_loaders.http": None,  # validate would fetch the next config
        "caddy.listeners.http_redirect": http(server_extra={"listener_wrappers": [{"wrapper": "http_redirect"},
                                                                                  {"wrapper": "tls"}]}),
        "caddy.listeners.tls": http(server_extra={"listener_wrappers": [{"wrapper": "http_redirect"},
                                                                        {"wrapper": "tls"}]}),
        "caddy.logging.encoders.console": log(encoder={"format": "console"}),
        "caddy.logging.encoders.json": log(encoder={"format": "json"}),
        "caddy.logging.encoders.filter": filtered({"filter": "delete"}),
        "caddy.logging.encoders.filter.cookie": filtered({"filter": "cookie", "actions": [{"type": "delete",
                                                                                           "name": "a"}]}),
        "caddy.logging.encoders.filter.delete": filtered({"filter": "delete"}),
        "caddy.logging.encoders.filter.hash": filtered({"filter": "hash"}),
        "caddy.logging.encoders.filter.ip_mask": filtered({"filter": "ip_mask", "ipv4_cidr": 16}),
        "caddy.logging.encoders.filter.query": filtered({"filter": "query", "actions": [{"type": "delete",
                                                                                         "parameter": "a"}]}),
        "caddy.logging.encoders.filter.regexp": filtered({"filter": "regexp", "regexp": "a", "value": "b"}),
        "caddy.logging.encoders.filter.rename": filtered({"filter": "rename", "name": "x"}),
        "caddy.logging.encoders.filter.replace": filtered({"filter": "replace", "value": "x"}),
        "caddy.logging.writers.discard": log(writer={"output": "discard"}),
        "caddy.logging.writers.file": log(writer={"output": "file", "filename": files_dir + "/log.txt"}),
        "caddy.logging.writers.net": log(writer={"output": "net", "address": "udp/" + LOOP}),
        "caddy.logging.writers.stderr": log(writer={"output": "stderr"}),
        "caddy.logging.writers.stdout": log(writer={"output": "stdout"}),
        "caddy.storage.file_system": http(top={"storage": {"module": "file_system", "root": files_dir + "/st"}}),
        "events": http(apps_extra={"events": {}}),
        "http.authentication.hashes.bcrypt": handler({"handler": "authentication", "providers": {"http_basic": {
            "hash": {"algorithm": "bcrypt"}, "accounts": [{"username": "u", "password": bcrypt}]}}}),
        "http.authentication.hashes.scrypt": handler({"handler": "authentication", "providers": {"http_basic": {
            "hash": {"algorithm": "scrypt", "N": 16384, "r": 8, "p": 1, "key_length": 32},
            "accounts": [{"username": "u", "password": "c2NyeXB0", "salt": "c2FsdA=="}]}}}),
        "http.authentication.providers.http_basic": handler({"handler": "authentication", "providers": {
            "http_basic": {"accounts": [{"username": "u", "password": bcrypt}]}}}),
        "http.encoders.gzip": handler({"handler": "encode", "encodings": {"gzip": {}}}),
        "http.encoders.zstd": handler({"handler": "encode", "encodings": {"zstd": {}}}),
        "http.handlers.acme_server": handler({"handler": "acme_server"}),
        "http.handlers.authentication": handler({"handler": "authentication", "providers": {"http_basic": {
            "accounts": [{"username": "u", "password": bcrypt}]}}}),
        "http.handlers.copy_response": proxy(handle_response=[{"routes": [{"handle": [
            {"handler": "copy_response"}]}]}]),
        "http.handlers.copy_response_headers": proxy(handle_response=[{"routes": [{"handle": [
            {"handler": "copy_response_headers"}]}]}]),
        "http.handlers.encode": handler({"handler": "encode", "encodings": {"gzip": {}}}),
        "http.handlers.error": handler({"handler": "error"}),
        "http.handlers.file_server": handler({"handler": "file_server"}),
        "http.handlers.headers": handler({"handler": "headers"}),
        "http.handlers.map": handler({"handler": "map", "source": "{path}", "destinations": ["{x}"]}),
        "http.handlers.metrics": handler({"handler": "metrics"}),
        "http.handlers.push": handler({"handler": "push"}),
        "http.handlers.request_body": handler({"handler": "request_body"}),
        "http.handlers.reverse_proxy": proxy(),
        "http.handlers.rewrite": handler({"handler": "rewrite", "uri": "/x"}),
        "http.handlers.static_response": handler({"handler": "static_response"}),
        "http.handlers.subroute": handler({"handler": "subroute"}),
        "http.handlers.templates": handler({"handler": "templates"}),
        "http.handlers.vars": handler({"handler": "vars"}),
        "http.handlers.invoke": http({"handle": [{"handler": "invoke", "name": "r"}]}, server_extra={
            "named_routes": {"r": {"handle": [{"handler": "static_response"}]}}}),
        "http.handlers.tracing": handler({"handler": "tracing", "span": "x"}),
        "http.matchers.expression": matcher({"expression": "{method} == 'GET'"}),
        "http.matchers.file": matcher({"file": {}}),
        "http.matchers.header": matcher({"header": {"X": ["y"]}}),
        "http.matchers.header_regexp": matcher({"header_regexp": {"X": {"pattern": "y"}}}),
        "http.matchers.host": matcher({"host": ["a.test"]}),
        "http.matchers.method": matcher({"method": ["GET"]}),
        "http.matchers.not": matcher({"not": [{"method": ["GET"]}]}),
        "http.matchers.path": matcher({"path": ["/x"]}),
        "http.matchers.path_regexp": matcher({"path_regexp": {"pattern": "x"}}),
        "http.matchers.protocol": matcher({"protocol": "https"}),
        "http.matchers.query": matcher({"query": {"a": ["b"]}}),
        "http.matchers.remote_ip": matcher({"remote_ip": {"ranges": ["127.0.0.1"]}}),
        "http.matchers.vars": matcher({"vars": {"a": ["b"]}}),
        "http.matchers.vars_regexp": matcher({"vars_regexp": {"a": {"pattern": "b"}}}),
        "http.precompressed.br": handler({"handler": "file_server", "precompressed": {"br": {}},
                                          "precompressed_order": ["br"]}),
        "http.precompressed.gzip": handler({"handler": "file_server", "precompressed": {"gzip": {}},
                                            "precompressed_order": ["gzip"]}),
        "http.precompressed.zstd": handler({"handler": "file_server", "precompressed": {"zstd": {}},
                                            "precompressed_order": ["zstd"]}),
        **{"http.reverse_proxy.selection_policies." + p: proxy(load_balancing={"selection_policy": dict(
            {"policy": p}, **extra)}) for p, extra in [
            ("cookie", {}), ("first", {}), ("header", {"field": "X"}), ("ip_hash", {}), ("least_conn", {}),
            ("random", {}), ("random_choose", {"choose": 2}), ("round_robin", {}), ("uri_hash", {})]},
        "http.reverse_proxy.transport.fastcgi": proxy(transport={"protocol": "fastcgi"}),
        "http.reverse_proxy.transport.http": proxy(transport={"protocol": "http"}),
        "http.reverse_proxy.upstreams.a": handler({"handler": "reverse_proxy", "dynamic_upstreams": {
            "source": "a", "name": "a.test", "port": "80"}}),
        "http.reverse_proxy.upstreams.srv": handler({"handler": "reverse_proxy", "dynamic_upstreams": {
            "source": "srv", "name": "_http._tcp.a.test"}}),
        "http.reverse_proxy.upstreams.multi": handler({"handler": "reverse_proxy", "dynamic_upstreams": {
            "source": "multi", "sources": [{"source": "a", "name": "a.test", "port": "80"}]}}),
        "tls.certificates.automate": tls({"certificates": {"automate": ["a.test"]},
                                          "automation": {"policies": [{"issuers": [{"module": "internal"}]}]}}),
        "tls.certificates.load_files": tls({"certificates": {"load_files": [{"certificate": cert_file,
                                                                              "key": key_file}]}}),
        "tls.certificates.load_folders": tls({"certificates": {"load_folders": [files_dir + "/pair"]}}),
        "tls.certificates.load_pem": tls({"certificates": {"load_pem": [{"certificate": "@CERT", "key": "@KEY"}]}}),
        "tls.certificates.load_storage": tls({"certificates": {"load_storage": {"pairs": []}}}),
        "tls.client_auth.leaf": tls({}, {"tls_connection_policies": [{"client_authentication": {
            "verifiers": [{"verifier": "leaf"}]}}]}),
        "tls.get_certificate.http": tls({"automation": {"policies": [{"subjects": ["a.test"], "get_certificate": [
            {"via": "http", "url": "http://" + LOOP + "/"}]}]}}),
        "tls.get_certificate.tailscale": tls({"automation": {"policies": [{"subjects": ["a.test"],
                                                                           "get_certificate": [{"via": "tailscale"}]}]}}),
        "tls.handshake_match.remote_ip": tls({}, {"tls_connection_policies": [{"match": {"remote_ip": {
            "ranges": ["127.0.0.1"]}}}]}),
        "tls.handshake_match.sni": tls({}, {"tls_connection_policies": [{"match": {"sni": ["a.test"]}}]}),
        "tls.issuance.acme": issuer({"module": "acme", "ca": "https://" + LOOP + "/dir"}),
        "tls.issuance.internal": issuer({"module": "internal"}),
        "tls.issuance.zerossl": issuer({"module": "zerossl", "api_key": "x"}),
        "tls.stek.distributed": tls({"session_tickets": {"key_source": {"provider": "distributed",
                                                                        "storage": {"module": "file_system",
                                                                                    "root": files_dir + "/st"}}}}),
        "tls.stek.standard": tls({"session_tickets": {"key_source": {"provider": "standard"}}}),
        # not in caddy 2.6.2: plugins (caddy-dns) and modules of later Caddy versions
        **{"dns.providers." + name: issuer({"module": "acme", "ca": "https://" + LOOP + "/dir", "challenges": {
            "dns": {"provider": dict({"name": name}, **fields)}}}) for name, fields in [
            ("cloudflare", {"api_token": "x"}), ("rfc2136", {"key_name": "k.", "key_alg": "hmac-sha256",
                                                             "key": "a2V5", "server": LOOP}),
            ("alidns", {"access_key_id": "a", "access_key_secret": "b"}), ("exec", {"command": "/bin/true"}),
            ("route53", {"access_key_id": "a", "secret_access_key": "b"}), ("duckdns", {"api_token": "x"}),
            ("digitalocean", {"auth_token": "x"}), ("hetzner", {"auth_api_token": "x"}),
            ("porkbun", {"api_key": "a", "api_secret_key": "b"}), ("desec", {"token": "x"}),
            ("acmedns", {"username": "u", "password": "p", "subdomain": "s", "server_url": "https://" + LOOP})]},
        "http.matchers.client_ip": matcher({"client_ip": {"ranges": ["127.0.0.1"]}}),
        "http.handlers.intercept": handler({"handler": "intercept"}),
        "http.handlers.log_append": handler({"handler": "log_append", "key": "a", "value": "b"}),
        "http.reverse_proxy.selection_policies.weighted_round_robin": proxy(load_balancing={"selection_policy": {
            "policy": "weighted_round_robin", "weights": [1]}}),
        "http.reverse_proxy.selection_policies.query": proxy(load_balancing={"selection_policy": {
            "policy": "query", "key": "a"}}),
        "http.reverse_proxy.selection_policies.client_ip_hash": proxy(load_balancing={"selection_policy": {
            "policy": "client_ip_hash"}}),
        "caddy.logging.encoders.filter.multi_regexp": filtered({"filter": "multi_regexp", "operations": [
            {"regexp": "a", "value": "b"}]}),
        "caddy.listeners.proxy_protocol": http(server_extra={"listener_wrappers": [{"wrapper": "proxy_protocol"},
                                                                                   {"wrapper": "tls"}]}),
        "http.ip_sources.static": http(server_extra={"trusted_proxies": {"source": "static",
                                                                         "ranges": ["127.0.0.1"]}}),
        "tls.handshake_match.local_ip": tls({}, {"tls_connection_policies": [{"match": {"local_ip": {
            "ranges": ["127.0.0.1"]}}}]}),
        "caddy.logging.encoders.append": log(encoder={"format": "append", "wrap": {"format": "json"}}),
        "caddy.storage.redis": http(top={"storage": {"module": "redis"}}),
    }
