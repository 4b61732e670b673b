"""Benchmark: search through the gateway against the same queries sent straight to the backend,
and freshness (publish response -> findable).

Starts its own platform (as bench/catalogue_import.py does), imports N offerings (default
100,000 over 20,000 courses) through the gateway, waits until the search read model holds them,
then for 1, 8 and 32 concurrent clients runs a mix of free-text, filtered and geo queries for a
few seconds each, once through `GET /api/v1/search` and once straight to the postgres backend
(the search service's own answer pipeline, services/search/pipeline.py ``answer``: place words,
query analysis, SQL and the shaped hits, on its own connections, with no answer cache, no RPC and
no HTTP).
Prints throughput and p50/p95/p99 latency for both, their ratio (the cost of our service path),
and p50/p99 freshness. Run with `make bench-search`. Before the searches it measures the path
alone at 1 client: a request the gateway answers itself and one that makes one RPC round trip
(through RabbitMQ to the search service and back) without searching; at 1 client the ratio is
one of latencies, and that round trip is the floor of every search through the gateway.

The query mix: 400 distinct queries (12 chosen by hand, the rest generated from the words
of the generated catalogue: subjects, their plurals and misspellings, with zero to three
filters, geo, sorting and second pages), drawn with Zipf popularity (the n-th most popular
query is asked 1/n as often as the first), as searches on a site are: a few very popular, a
long tail asked once. Every client draws its own sequence (seeded, so runs compare).

The gateway runs twice: first as deployed, with the search service's answer cache (popular
searches come from memory, the tail is computed: the hit rate is printed), then with the search
service restarted with SEARCH_CACHE_ENTRIES=0, so every search is computed: that run is the one
to compare with the direct backend. Both keep the text matches of recent words (the backend's
own SEARCH_TEXT_CACHE_MB, the same code on either path); the direct backend's share of searches
whose words were kept is printed."""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import get_args
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
import urllib3  # noqa: E402

from bench.catalogue_import import CITIES, LEVELS, SECTORS, SUBJECTS, generate, import_file  # noqa: E402
from bench.common import MachineCpu, bench_platform, figure, provider_key  # noqa: E402
from services.contracts.courses import Mode, Province, Situation  # noqa: E402
from services.contracts.search import SearchRequest
from services.chassis.settings import config_of  # noqa: E402
from services.search import pipeline  # noqa: E402
from services.search.backends import make_backend  # noqa: E402
from services.search.service import Settings as SearchSettings  # noqa: E402
from services.search.store import SearchStore  # noqa: E402
from tests.infra import Platform  # noqa: E402

QUERIES = [
    {"q": "heftruck"}, {"q": "verpleegkunde"}, {"q": "python gevorderd"}, {"q": "heftruk"},
    {"q": "lassen", "level": ["mbo-2", "mbo-3"]}, {"q": "boekhouden praktijk"},
    {"level": ["mbo-4"], "mode": ["klassikaal"], "max_price": "1500"},
    {"sector": ["zorg-welzijn"], "start_to": None, "sort": "start_date"},
    {"q": "bhv", "near": "Utrecht", "radius_km": 30},
    {"near": "9712 CP", "radius_km": 25, "sort": "distance"},
    {"q": "zonnepanelen", "near": "Eindhoven", "radius_km": 50, "mode": ["klassikaal"]},
    {"q": "elektrotechniek", "situation": "werkgever"},
]
CONCURRENCY = (1, 8, 32)
MIX_SIZE = 400
OTHER_FORM = {"heftruck": "heftrucks", "lassen": "lasser", "verpleegkunde": "verpleegkundigen",
              "zonnepanelen": "zonnepaneel", "warmtepompen": "warmtepomp", "boekhouden": "boekhouding",
              "leidinggeven": "leidinggevende", "elektrotechniek": "elektrotechnisch",
              "kraanmachinist": "kraanmachinisten", "logistiek": "logistieke"}


def misspelt(word: str, rng: random.Random) -> str:
    """One letter dropped, doubled or swapped with the next (not the first letter)."""
    at = rng.randrange(1, len(word) - 1)
    return rng.choice([word[:at] + word[at + 1:], word[:at] + word[at] + word[at:],
                       word[:at] + word[at + 1] + word[at] + word[at + 2:]])


def query_mix(size: int = MIX_SIZE, seed: int = 11) -> list[dict]:
    """``size`` distinct queries, most popular first: QUERIES, then generated ones."""
    rng, today = random.Random(seed), date.today()
    words = []
    for subject in SUBJECTS:
        word = subject.lower()
        words += [word, OTHER_FORM.get(word, word), misspelt(word, rng) if len(word) > 3 else word,
                  f"{word} {rng.choice(['basis', 'gevorderd', 'praktijk', 'cursus', 'opleiding'])}"]
    filters = [
        lambda: {"level": rng.sample(LEVELS, rng.randint(1, 2))},
        lambda: {"sector": [rng.choice(SECTORS)]},
        lambda: {"mode": [rng.choice(get_args(Mode))]},
        lambda: {"max_price": str(rng.choice([250, 500, 1000, 2000]))},
        lambda: {"province": [rng.choice(get_args(Province))]},
        lambda: {"near": rng.choice(CITIES), "radius_km": rng.choice([10, 25, 50])},
        lambda: {"start_from": str(today + timedelta(days=rng.choice([30, 60, 90]))),
                 "start_to": str(today + timedelta(days=rng.choice([180, 270])))},
        lambda: {"situation": rng.choice(get_args(Situation))},
        lambda: {"sort": rng.choice(["start_date", "price"])},
        lambda: {"page": 2},
    ]
    mix = [{k: v for k, v in q.items() if v is not None} for q in QUERIES]
    seen = {repr(sorted(q.items())) for q in mix}
    while len(mix) < size:
        query = {"q": rng.choice(words)} if rng.random() < 0.75 else {}
        for make in rng.sample(filters, rng.choice([0, 0, 1, 1, 2, 3])):
            query.update(make())
        if "near" in query and rng.random() < 0.3:
            query["sort"] = "distance"
        key = repr(sorted(query.items()))
        if key not in seen:
            seen.add(key)
            mix.append(query)
    return mix


MIX = query_mix()
CUM_WEIGHTS = [sum(1 / (n + 1) for n in range(k + 1)) for k in range(len(MIX))]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def run_clients(make_call, clients: int, seconds: float) -> tuple[float, list[float], int]:
    """``clients`` threads calling ``make_call()`` (which returns a callable taking a query) in a loop."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(n: int):
        call, draw = make_call(), random.Random(n)
        mine = []
        while time.perf_counter() < deadline:
            query = draw.choices(MIX, cum_weights=CUM_WEIGHTS)[0]
            started = time.perf_counter()
            try:
                call(query)
                mine.append((time.perf_counter() - started) * 1000)
            except Exception:  # noqa: BLE001 - counted and reported
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - started), latencies, errors[0]


def one_connection(url: str) -> urllib3.HTTPConnectionPool:
    # urllib3 rather than requests: the clients share the two cores with the platform under
    # test, and requests costs about a millisecond of CPU more per call
    parsed = urlparse(url)
    return urllib3.HTTPConnectionPool(parsed.hostname, parsed.port, maxsize=1, timeout=30, retries=False)


def gateway_caller(url: str):
    def make():
        pool = one_connection(url)

        def call(query):
            answer = pool.request("GET", "/api/v1/search?" + urlencode(query, doseq=True))
            if answer.status != 200:
                raise RuntimeError(f"search answered {answer.status}: {answer.data[:200]!r}")
        return call
    return make


def direct_caller(db_url: str):
    # the postgres backend as a search service with its default settings has it
    backend = make_backend(config_of(SearchSettings, amqp_uri="amqp://unused/", database_url=db_url))
    today = date.today()

    def make():
        conn = psycopg.connect(db_url, autocommit=True)

        def call(query):
            req = SearchRequest.model_validate(query)
            db = SearchStore(conn)     # statement by statement, as the search service reads
            pipeline.answer(backend, db, req, today)     # the whole answer, as the service computes it
        return call
    make.backend = backend
    return make


def service_path(url: str, requests_each: int = 400) -> dict[str, float]:
    """p50 (ms) of one client's requests that do no search: what the path itself costs at 1
    client. A 404 is the gateway alone (no RPC); a suggest too short to answer is one RPC round
    trip through RabbitMQ to the search service and back (it answers 422, reading nothing)."""
    pool = one_connection(url)
    figures = {}
    for label, path, status in (("answered by the gateway alone (a 404)", "/api/v1/not-a-route", 404),
                                ("with one RPC round trip to search (a 422)", "/api/v1/suggest?q=a", 422)):
        latencies = []
        for n in range(requests_each + 50):
            started = time.perf_counter()
            answer = pool.request("GET", path)
            if answer.status != status:
                raise RuntimeError(f"{path} answered {answer.status}, not {status}: {answer.data[:200]!r}")
            if n >= 50:      # the first ones warm the path up
                latencies.append((time.perf_counter() - started) * 1000)
        figures[label] = pct(latencies, 50)
    return figures


def freshness(platform: Platform, key: str, samples: int) -> list[float]:
    """Seconds from a publish response to the course being found through the gateway."""
    headers = {"Authorization": f"Bearer {key}"}
    session = requests.Session()
    delays = []
    for n in range(samples):
        word = f"vers{uuid.uuid4().hex[:8]}"
        course = {"external_id": f"FRESH-{n}-{word}", "title": f"Versheid {word}", "level": "geen",
                  "description": "Hoe snel is een nieuwe cursus vindbaar?", "publish": True,
                  "offerings": [{"external_id": "O1", "start_date": str(date.today().replace(year=date.today().year + 1)),
                                 "end_date": str(date.today().replace(year=date.today().year + 1)),
                                 "mode": "online", "price_eur": 10}]}
        answer = session.post(f"{platform.url}/api/v1/courses", json=course, headers=headers, timeout=30)
        answer.raise_for_status()
        published = time.perf_counter()
        while session.get(f"{platform.url}/api/v1/search", params={"q": word}, timeout=30).json()["total"] == 0:
            if time.perf_counter() - published > 30:
                raise RuntimeError(f"course {word} not findable after 30 s")
            time.sleep(0.01)
        delays.append(time.perf_counter() - published)
    return delays


def settle(platform: Platform, timeout: float = 600) -> None:
    """Wait until every queue of the platform is empty twice in a row (RabbitMQ's counts are a
    few seconds old): the other services have digested the import's events, so they do not
    share the two cores with the searches measured (dead letters wait for a person, not a
    service: their queues do not count); then VACUUM ANALYZE every database."""
    started, empty_before = time.perf_counter(), False
    while time.perf_counter() - started < timeout:
        waiting = sum(q.get("messages", 0) or 0 for q in platform.rabbit.queues(platform.vhost)
                      if not q["name"].endswith(".dead"))
        if waiting == 0 and empty_before:
            print(f"every queue empty ({time.perf_counter() - started:.0f} s later); vacuuming every database",
                  flush=True)
            break
        empty_before = waiting == 0
        time.sleep(6)
    else:
        print(f"queues still not empty after {timeout:.0f} s: measuring anyway", flush=True)
    # and what autovacuum would otherwise do to the import's tables while searches are measured
    for url in platform.db_urls.values():
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def restart_search(platform: Platform, env: dict) -> None:
    """The search service again (each of its processes), with ``env`` added to its environment."""
    names = [name for name in platform.procs if name.partition("-")[0] == "search"]
    for name in names:
        platform.stop_service(name)
    platform.extra_env.update(env)
    try:
        for name in names:
            platform.start_service(name)
    finally:
        for name in env:
            platform.extra_env.pop(name)
    deadline = time.monotonic() + 90
    while requests.get(f"{platform.url}/api/v1/search", params={"q": "heftruck"}, timeout=30).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("search did not answer after its restart:\n" + platform.log_tail("search"))
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offerings", type=int, default=100_000)
    parser.add_argument("--per-course", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0, help="per concurrency level and path")
    parser.add_argument("--warm-up", type=float, default=4.0,
                        help="seconds of searches per path and phase before measuring, not counted")
    parser.add_argument("--freshness-samples", type=int, default=40)
    args = parser.parse_args()
    platform, _ = bench_platform()
    rows = []   # (phase, clients, path, searches/s, latencies, errors)
    try:
        platform.start()
        key = provider_key(platform, "Bench zoeken")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "courses.ndjson"
            courses = args.offerings // args.per_course
            offerings = generate(path, courses, args.per_course, seed=3)
            print(f"importing {courses} courses with {offerings} offerings ...", flush=True)
            seconds, report = import_file(platform, key, path)
            print(f"imported {report['accepted']} courses in {seconds:.0f} s; waiting for the search read model ...",
                  flush=True)
        search_db = platform.db_urls["search"]
        with psycopg.connect(search_db, autocommit=True) as conn:
            started = time.perf_counter()
            while conn.execute("SELECT count(*) FROM facts WHERE published").fetchone()[0] < report["accepted"]:
                time.sleep(1)
            print(f"search holds all {report['accepted']} courses ({time.perf_counter() - started:.0f} s after the import)")
        settle(platform)
        path_costs = service_path(platform.url)
        direct = direct_caller(search_db)
        phases = (("cached", [("gateway", gateway_caller(platform.url)), ("direct", direct)]),
                  ("computed", [("gateway", gateway_caller(platform.url))]))
        for phase, paths in phases:
            if phase == "computed":
                fresh = freshness(platform, key, args.freshness_samples)   # as deployed: with the answer cache
                print("restarting the search service with SEARCH_CACHE_ENTRIES=0 ...", flush=True)
                restart_search(platform, {"SEARCH_CACHE_ENTRIES": "0"})
            for path_name, maker in paths:
                # a site answers searches all day: measured from a steady state, not from the
                # first sight of each of the mix's queries (each path keeps what it keeps)
                run_clients(maker, max(CONCURRENCY), args.warm_up)
            print(f"  ({phase}: {args.warm_up:.0f} s of searches per path before measuring, not counted)", flush=True)
            for clients in CONCURRENCY:
                for path_name, maker in paths:
                    with MachineCpu() as cpu:
                        rate, latencies, errors = run_clients(maker, clients, args.seconds)
                    rows.append((phase, clients, path_name, rate, latencies, errors))
                    if clients == 8 and path_name == "gateway":
                        figure("search", f"machine CPU per search ({phase}), 8 clients", cpu.ms_per(len(latencies)),
                               "ms")
                    print(f"  {clients:>2} clients {path_name:<8} ({phase:<8}) {rate:8.1f} searches/s"
                          f"  p50 {pct(latencies, 50):6.1f} ms  p95 {pct(latencies, 95):6.1f} ms"
                          f"  p99 {pct(latencies, 99):6.1f} ms  errors {errors}", flush=True)
        with psycopg.connect(platform.db_urls["analytics"], autocommit=True) as conn:
            inside = conn.execute(
                "SELECT (payload->>'latency_ms')::float8, coalesce((payload->>'cached')::boolean, false) "
                "FROM event_archive WHERE event_type = 'search_performed'").fetchall()
    finally:
        platform.stop()
    print(f"\nsearch benchmark, {args.offerings} offerings, query mix of {len(MIX)} distinct queries (free text, "
          f"filtered, geo) with Zipf popularity: the 12 most popular are {CUM_WEIGHTS[11] / CUM_WEIGHTS[-1]:.0%} "
          f"of the searches")
    print(f"{'clients':>7} {'path':<19} {'searches/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for phase, clients, path_name, rate, latencies, _ in rows:
        label = f"{path_name} ({phase})" if path_name == "gateway" else path_name
        print(f"{clients:>7} {label:<19} {rate:>10.1f} {pct(latencies, 50):>8.1f} {pct(latencies, 95):>8.1f} "
              f"{pct(latencies, 99):>8.1f}")
    for was_cached, label in ((True, "answered from the answer cache"), (False, "computed")):
        mine = [ms for ms, flag in inside if flag == was_cached]
        print(f"inside the search service, {label}: {len(mine)} searches ({len(mine) / max(1, len(inside)):.0%}), "
              f"p50 {pct(mine, 50):.1f} ms, p95 {pct(mine, 95):.1f} ms, p99 {pct(mine, 99):.1f} ms")

    def row(phase, clients, path_name):
        return next(r for r in rows if r[:3] == (phase, clients, path_name))

    print("the service path at 1 client, p50 of requests that do no search: " + ", ".join(
        f"{label} {ms:.1f} ms" for label, ms in path_costs.items())
        + f"; the direct backend's whole search: {pct(row('cached', 1, 'direct')[4], 50):.1f} ms")
    texts = direct.backend.texts
    print(f"direct backend: text matches kept for {texts.hits / max(1, texts.hits + texts.misses):.0%} of "
          f"{texts.hits + texts.misses} searches with words")

    for clients in CONCURRENCY:
        direct_rate = row("cached", clients, "direct")[3]
        print(f"ratio at {clients:>2} clients: gateway path is {row('computed', clients, 'gateway')[3] / direct_rate:.0%} "
              f"of the direct backend's throughput with every search computed, "
              f"{row('cached', clients, 'gateway')[3] / direct_rate:.0%} with the answer cache (target >= 50%)")
    for clients in CONCURRENCY:
        direct_rate = row("cached", clients, "direct")[3]
        for phase in ("cached", "computed"):
            rate, latencies = row(phase, clients, "gateway")[3:5]
            figure("search", f"searches/s through the gateway ({phase}), {clients} client(s)", rate, "searches/s",
                   baseline=direct_rate, baseline_name="the backend directly")
            figure("search", f"p99 through the gateway ({phase}), {clients} client(s)", pct(latencies, 99), "ms",
                   target="< 100" if clients == 8 else None)
    figure("search", "freshness p99", pct(fresh, 99) * 1000, "ms", target="< 2000")
    for phase in ("cached", "computed"):
        p99_8 = pct(row(phase, 8, "gateway")[4], 99)
        print(f"p99 at 8 clients through the gateway ({phase}): {p99_8:.1f} ms (target < 100 ms) -> "
              f"{'met' if p99_8 < 100 else 'NOT met'}")
    print(f"freshness over {len(fresh)} publishes: p50 {statistics.median(fresh) * 1000:.0f} ms, "
          f"p99 {pct(fresh, 99) * 1000:.0f} ms (target p99 < 2000 ms) -> {'met' if pct(fresh, 99) < 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
