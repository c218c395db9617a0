#!/usr/bin/env python3
"""Writes a Caddyfile of N realistic sites (proxies, matchers, snippets, encode, file_server).

usage: gen_caddyfile.py N > Caddyfile
"""
import sys


def site(i: int) -> str:
    kind = i % 4
    host = f"site{i}.example.com"
    if kind == 0:
        return f"""{host} {{
\timport common
\t@websocket {{
\t\theader Connection *Upgrade*
\t\theader Upgrade websocket
\t}}
\treverse_proxy @websocket 127.0.0.1:{3000 + i % 1000}
\treverse_proxy /api/* 127.0.0.1:{4000 + i % 1000} {{
\t\theader_up X-Real-IP {{remote_host}}
\t\ttransport http {{
\t\t\tread_buffer 1MB
\t\t}}
\t}}
\thandle /healthz {{
\t\trespond "ok" 200
\t}}
}}
"""
    if kind == 1:
        return f"""{host}, www.{host} {{
\timport common
\troot * /srv/{host}
\ttry_files {{path}} /index.html
\tfile_server
\theader /assets/* Cache-Control "public, max-age=31536000"
}}
"""
    if kind == 2:
        return f"""{host} {{
\t@api path /v1/* /v2/*
\thandle @api {{
\t\treverse_proxy 127.0.0.1:{5000 + i % 1000} 127.0.0.1:{6000 + i % 1000} {{
\t\t\tlb_policy round_robin
\t\t\thealth_uri /health
\t\t}}
\t}}
\thandle {{
\t\tredir https://www.{host}{{uri}} permanent
\t}}
}}
"""
    return f"""{host} {{
\tencode zstd gzip
\t@static path *.css *.js *.png
\theader @static Cache-Control max-age=3600
\tbasicauth /admin/* {{
\t\tadmin $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
\t}}
\treverse_proxy 127.0.0.1:{7000 + i % 1000}
}}
"""


def main() -> None:
    n = int(sys.argv[1])
    out = ["(common) {\n\tencode gzip\n\tlog\n}\n"]
    out += [site(i) for i in range(n)]
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
