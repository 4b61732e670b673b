"""Benchmark: the results page (/zoeken) at 8 clients beside the search API (/api/v1/search) with
the same searches at the same load, in the same run: pages/s and p50/p95/p99. Target: a results
page p99 under 150 ms at 8 clients. Loads the demo catalogue into a platform of its own;
`make bench-pages`."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_platform, figure  # noqa: E402
from bench.search import MIX, one_connection, pct, run_clients  # noqa: E402
from tests.infra import ADMIN_TOKEN  # noqa: E402


def caller(url: str, path: str):
    def make():
        pool = one_connection(url)

        def call(query):
            answer = pool.request("GET", f"{path}?" + urlencode(query, doseq=True))
            if answer.status not in (200, 400):      # a search the page explains (a bad filter) is an answer
                raise RuntimeError(f"{path} answered {answer.status}")
        return call
    return make


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    platform, _ = bench_platform()
    platform.start()
    try:
        keys = Path(tempfile.mkdtemp()) / "keys.json"
        subprocess.run([sys.executable, "-m", "deploy.local.load_demo", "--gateway", platform.url, "--keys", str(keys),
                        "--admin-token", ADMIN_TOKEN], check=True)
        assert MIX
        run_clients(caller(platform.url, "/zoeken"), 2, 3)          # warm-up, not counted
        print(f"{'path':24} {'clients':>7} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} errors")
        figures = {}
        for path in ("/api/v1/search", "/zoeken"):
            rate, lat, errors = run_clients(caller(platform.url, path), 8, args.seconds)
            figures[path] = (rate, lat)
            print(f"{path:24} {8:>7} {rate:>8.1f} {pct(lat, 50):>8.1f} {pct(lat, 95):>8.1f} {pct(lat, 99):>8.1f} {errors}",
                  flush=True)
        p99 = pct(figures["/zoeken"][1], 99)
        ratio = figures["/zoeken"][0] / figures["/api/v1/search"][0]
        figure("pages", "results pages/s, 8 clients", figures["/zoeken"][0], "pages/s",
               baseline=figures["/api/v1/search"][0], baseline_name="the search API")
        figure("pages", "results page p99, 8 clients", p99, "ms", target="< 150")
        print(f"the results page serves {ratio:.0%} of the API's searches/s at the same load; "
              f"p99 {p99:.0f} ms (target < 150 ms) -> {'met' if p99 < 150 else 'NOT met'}")
    finally:
        platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
