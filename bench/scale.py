"""Benchmark at national scale: 1,000,000 offerings (200,000 courses from 2,000 providers, five
offerings each) loaded through the real import path (each provider uploads its own NDJSON file
to the gateway, a few providers at a time), until search holds every course; then search p50/p99
at 1, 8 and 32 clients through the gateway (as deployed, with the answer cache, and with every
search computed), the freshness of one publish into the full catalogue, and the memory of every
process: sampled during the load (flat or growing?) and at the end.

Baselines in the same run: the first 10% of the load's throughput against the whole load's
(does a bigger catalogue slow the import down?) and each process's memory at a tenth of the load
against at the end. Targets on a 2-core machine: the load in under 10 minutes, search p99 under
150 ms at 8 clients, memory flat during the load and under 4 GiB for a search process.

Starts its own platform on the test profile; `make bench-scale` (PROVIDERS=2000 COURSES=100).
Needs about 1 GiB of free disk for the generated files and the databases."""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.catalogue_import import generate, import_file  # noqa: E402
from bench.common import MachineCpu, bench_platform, figure, provider_key, rss_mb  # noqa: E402
from bench.search import CONCURRENCY, freshness, gateway_caller, pct, restart_search, run_clients, settle  # noqa: E402


class Memory:
    """Every service process's resident memory, sampled every ``every`` seconds in a thread,
    with the share of the load done at that moment."""

    def __init__(self, pids: dict[str, int], done, every: float = 2.0):
        self.pids, self.done, self.every = pids, done, every
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while True:
            self.samples.append((self.done(), {name: rss_mb(pid) for name, pid in self.pids.items()}))
            if self.stopped.wait(self.every):
                self.samples.append((self.done(), {name: rss_mb(pid) for name, pid in self.pids.items()}))
                return

    def at(self, share: float) -> dict[str, float]:
        """The first sample at or past ``share`` of the load."""
        return next((s for d, s in self.samples if d >= share), self.samples[-1][1])


def searchable(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM facts WHERE published").fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--providers", type=int, default=2000)
    parser.add_argument("--courses", type=int, default=100, help="courses per provider")
    parser.add_argument("--per-course", type=int, default=5, help="offerings per course")
    parser.add_argument("--uploads", type=int, default=4, help="providers uploading at the same time")
    parser.add_argument("--seconds", type=float, default=10.0, help="per concurrency level and phase")
    parser.add_argument("--warm-up", type=float, default=5.0)
    parser.add_argument("--freshness-samples", type=int, default=20)
    parser.add_argument("--keep-search", metavar="NAME", help="keep a copy of the search database under this name "
                                                              "(to study its queries; drop it yourself afterwards)")
    args = parser.parse_args()
    courses = args.providers * args.courses
    offerings = courses * args.per_course
    platform, _ = bench_platform()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        started = time.perf_counter()
        files = []
        for n in range(args.providers):
            path = Path(tmp) / f"p{n}.ndjson"
            generate(path, args.courses, args.per_course, seed=1000 + n)
            files.append(path)
            if n and n % 200 == 0:
                print(f"  generated {n} of {args.providers} files", flush=True)
        size = sum(f.stat().st_size for f in files) / 2**20
        print(f"generated {courses:,} courses with {offerings:,} offerings for {args.providers:,} providers "
              f"({size:,.0f} MiB of NDJSON, {time.perf_counter() - started:.0f} s)", flush=True)
        try:
            platform.start()
            with ThreadPoolExecutor(8) as pool:
                keys = list(pool.map(lambda n: provider_key(platform, f"Aanbieder {n}"), range(args.providers)))
            print(f"{len(keys):,} providers registered", flush=True)
            search_db = platform.db_urls["search"]
            accepted, lock = [0], threading.Lock()
            memory = Memory({name: proc.pid for name, proc in platform.procs.items()},
                            lambda: accepted[0] / courses)
            memory.thread.start()
            first_tenth: list[float] = []

            def upload(n: int) -> None:
                _, report = import_file(platform, keys[n], files[n])
                if report["rejected"]:
                    raise RuntimeError(f"provider {n}: {len(report['rejected'])} courses rejected: "
                                       f"{report['rejected'][:2]}")
                with lock:
                    accepted[0] += report["accepted"]
                    if not first_tenth and accepted[0] >= courses / 10:
                        first_tenth.append(time.perf_counter() - load_started)
                    if (n + 1) % max(1, args.providers // 20) == 0:
                        print(f"  {accepted[0]:,} courses accepted, {time.perf_counter() - load_started:.0f} s",
                              flush=True)

            load_started, cpu = time.perf_counter(), MachineCpu().start()
            with ThreadPoolExecutor(args.uploads) as pool:
                list(pool.map(upload, range(args.providers)))
            imported = time.perf_counter() - load_started
            print(f"imported {accepted[0]:,} courses in {imported:.0f} s; waiting until search holds them ...",
                  flush=True)
            while (held := searchable(search_db)) < accepted[0]:
                if time.perf_counter() - load_started > 3600:
                    raise RuntimeError(f"search holds {held:,} of {accepted[0]:,} courses after an hour")
                time.sleep(2)
            loaded = time.perf_counter() - load_started
            cpu.stop()
            memory.stopped.set()
            memory.thread.join()
            print(f"search holds all {accepted[0]:,} courses {loaded:.0f} s after the load began", flush=True)

            settle(platform, timeout=1800)
            key = keys[0]
            rows = []
            for phase in ("cached", "computed"):
                if phase == "computed":
                    fresh = freshness(platform, key, args.freshness_samples)
                    restart_search(platform, {"SEARCH_CACHE_ENTRIES": "0"})
                run_clients(gateway_caller(platform.url), max(CONCURRENCY), args.warm_up)
                for clients in CONCURRENCY:
                    with MachineCpu() as searching:
                        rate, latencies, errors = run_clients(gateway_caller(platform.url), clients, args.seconds)
                    rows.append((phase, clients, rate, latencies, errors))
                    if clients == 8:
                        figure("scale", f"machine CPU per search ({phase}), 8 clients",
                               searching.ms_per(len(latencies)), "ms")
                    print(f"  {clients:>2} clients ({phase:<8}) {rate:8.1f} searches/s  p50 {pct(latencies, 50):6.1f} ms"
                          f"  p99 {pct(latencies, 99):6.1f} ms  errors {errors}", flush=True)
            end = {name: (rss_mb(proc.pid), rss_mb(proc.pid, "VmHWM")) for name, proc in platform.procs.items()}
            sizes = {}
            for name, url in platform.db_urls.items():
                with psycopg.connect(url, autocommit=True) as conn:
                    sizes[name] = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
            if args.keep_search:
                for name in list(platform.procs):
                    platform.stop_service(name)
                with psycopg.connect(platform.postgres.admin_url, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{args.keep_search}" TEMPLATE "{platform.prefix}_search"')
                print(f"the search database is kept as {args.keep_search}", flush=True)
        finally:
            platform.stop()

    print(f"\nnational scale: {args.providers:,} providers, {courses:,} courses, {offerings:,} offerings")
    rate = offerings / loaded
    print(f"load: imported in {imported:.0f} s, searchable in {loaded:.0f} s = {rate:,.0f} offerings/s "
          f"(target < 600 s) -> {'met' if loaded < 600 else 'NOT met'}")
    early = courses / 10 * args.per_course / first_tenth[0]
    print(f"import throughput: first tenth {early:,.0f} offerings/s, whole import {offerings / imported:,.0f} offerings/s")
    figure("scale", f"{offerings:,} offerings imported and searchable", loaded, "s", target="< 600")
    figure("scale", "machine CPU per offering published and searchable", cpu.ms_per(offerings), "ms")
    figure("scale", "import throughput over the whole load", offerings / imported, "offerings/s", baseline=early,
           baseline_name="the load's first tenth")
    print(f"{'clients':>7} {'phase':9} {'searches/s':>10} {'p50 ms':>8} {'p99 ms':>8} errors")
    for phase, clients, rate, latencies, errors in rows:
        print(f"{clients:>7} {phase:9} {rate:>10.1f} {pct(latencies, 50):>8.1f} {pct(latencies, 99):>8.1f} {errors}")
        figure("scale", f"search p50 ({phase}), {clients} client(s)", pct(latencies, 50), "ms")
        figure("scale", f"search p99 ({phase}), {clients} client(s)", pct(latencies, 99), "ms",
               target="< 150" if clients == 8 else None)
        figure("scale", f"searches/s ({phase}), {clients} client(s)", rate, "searches/s")
    print(f"freshness of one publish into the full catalogue over {len(fresh)} publishes: "
          f"p50 {statistics.median(fresh) * 1000:.0f} ms, p99 {pct(fresh, 99) * 1000:.0f} ms")
    figure("scale", "freshness p99 in the full catalogue", pct(fresh, 99) * 1000, "ms", target="< 2000")
    print(f"{'process':12} {'RSS 10% MiB':>12} {'RSS 50% MiB':>12} {'RSS end of load':>16} {'now':>8} {'peak':>8}")
    tenth, half, last = memory.at(0.1), memory.at(0.5), memory.samples[-1][1]
    for name, (now, peak) in end.items():
        print(f"{name:12} {tenth[name]:>12.0f} {half[name]:>12.0f} {last[name]:>16.0f} {now:>8.0f} {peak:>8.0f}")
        figure("scale", f"{name} RSS at the end of the load", last[name], "MiB", baseline=tenth[name],
               baseline_name="at a tenth of the load")
        if name.startswith("search"):
            figure("scale", f"{name} peak RSS", peak, "MiB", target="< 4096")
    print("databases: " + ", ".join(f"{name} {mb:,.0f} MiB" for name, mb in sizes.items()))
    for name, mb in sizes.items():
        figure("scale", f"{name} database size", mb, "MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
