"""The HAProxy configuration in front of several gateways (``make run SCALE=n`` and the tests'
platform at SCALE): round robin, a gateway that stops taking connections is skipped, and a
request it refused before reading is tried on the next one.

    python -m deploy.local.balancer --listen 8000 --gateways 8001,8002 [--pidfile F] > haproxy.cfg
"""
from __future__ import annotations

import argparse
import sys


def config(listen: int, gateways: list[int], pidfile: str | None = None, request_seconds: float = 30) -> str:
    """``request_seconds``: how long a client may take to send a request's head (the gateway's
    REQUEST_DEADLINE_SECONDS; behind HAProxy a slow client meets HAProxy first)."""
    servers = "\n".join(f"  server gateway{n} 127.0.0.1:{port} check inter 1s"
                        for n, port in enumerate(gateways, start=1))
    return f"""global
{f'  pidfile {pidfile}' if pidfile else ''}
defaults
  mode http
  # the gateway learns the client's address from this header (it trusts TRUSTED_PROXIES only)
  option forwardfor
  timeout connect 5s
  timeout client 300s
  # a client that does not finish its request's head in time is cut off without an answer, as the
  # gateway itself does (the 408 HAProxy would send is replaced by nothing)
  timeout http-request {request_seconds:g}s
  errorfile 408 /dev/null
  timeout server 300s
  retries 2
  option redispatch
frontend platform
  bind 127.0.0.1:{listen}
  default_backend gateways
backend gateways
  balance roundrobin
{servers}
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--gateways", required=True, help="ports, comma-separated")
    parser.add_argument("--pidfile")
    parser.add_argument("--request-seconds", type=float, default=30)
    args = parser.parse_args(argv)
    sys.stdout.write(config(args.listen, [int(p) for p in args.gateways.split(",")], args.pidfile, args.request_seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
