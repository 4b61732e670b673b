"""Benchmark: 1,000,000 ``search_performed`` events archived and rolled up by the analytics
service, beside a bare kombu consumer that only acknowledges the same events, in the same run
(events/s and the ratio); then the demand, zero-result and funnel reports over a year of data
(at least 2,000,000 archived events, written straight into the archive and rolled up by a
replay): p50/p95 through the gateway. Targets: at least 5,000 events/s and 50% of the bare
consumer; every report p95 under 200 ms. Starts its own platform; `make bench-analytics`."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import requests  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402

from bench.common import MachineCpu, bench_platform, figure  # noqa: E402
from services.analytics.store import AnalyticsStore, month_of  # noqa: E402
from services.contracts.search import SearchPerformed
from tests.infra import ADMIN_TOKEN  # noqa: E402

QUERIES = ["heftruck", "lassen", "vca", "zorg", "boekhouden", "nederlands", "reachtruck", "excel", "bhv", "schilder"]
PROVINCES = ["Groningen", "Utrecht", "Limburg", "Zeeland", None]


def event(n: int) -> dict:
    zero = n % 7 == 0
    filters = {"province": [PROVINCES[n % 5]]} if PROVINCES[n % 5] else {}
    return SearchPerformed(search_id=uuid.uuid4().hex, query=QUERIES[n % 10] + ("s" if n % 3 else ""), filters=filters,
                           result_count=0 if zero else n % 40, zero_results=zero, latency_ms=3.0,
                           zero_kind=("nothing", "elsewhere", "filtered_out")[n % 3] if zero else None).envelope() \
        .model_dump(mode="json")


def publish(amqp_uri: str, count: int, exchange: str = "search.events") -> float:
    started = time.monotonic()
    with Connection(amqp_uri) as conn:
        producer = conn.Producer()
        for n in range(count):
            producer.publish(event(n), exchange=exchange, routing_key="search_performed", serializer="json",
                             delivery_mode=2)
    return time.monotonic() - started


def bare_consumer(amqp_uri: str, count: int) -> float:
    """A kombu consumer that only acknowledges (prefetch as the service's: two batches), on a
    queue of its own holding the same events, published beforehand: messages/s."""
    exchange = Exchange(f"bench.{uuid.uuid4().hex[:6]}", type="topic", durable=True)
    queue = Queue(f"bench.bare.{uuid.uuid4().hex[:6]}", exchange, routing_key="search_performed", durable=True)
    got = 0
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        bound = queue(channel)
        bound.declare()
        publish(amqp_uri, count, exchange.name)
        channel.basic_qos(0, 200, False)

        def ack(body, message):
            nonlocal got
            message.ack()
            got += 1
        with conn.Consumer(bound, callbacks=[ack], accept=["json"]):
            started = time.monotonic()
            while got < count:
                conn.drain_events(timeout=60)
        rate = count / (time.monotonic() - started)
        bound.delete()
        exchange(channel).delete()
    return rate


def archived(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM event_archive WHERE event_type = 'search_performed'").fetchone()[0]


def fill_year(db_url: str, count: int) -> None:
    """``count`` events over the last 365 days straight into the archive: searches (one in seven
    without results), views and clicks of some, intakes, advice and enrolments of fewer."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        with conn.transaction():        # the year's months in partitions of their own, as the service makes them
            today = date.today()
            AnalyticsStore(conn).ensure_months({month_of(today - timedelta(days=d)) for d in range(0, 367, 10)} |
                                               {month_of(today)})
        conn.execute("""
            INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
            SELECT gen_random_uuid(), 'search', 'search_performed', 1,
                   now() - (mod(n, 365)) * interval '1 day' - (mod(n, 86400)) * interval '1 second',
                   jsonb_build_object('search_id', md5(n::text), 'query', (ARRAY['heftruck','lassen','vca','zorg',
                       'boekhouden','nederlands','reachtruck','excel','bhv','schilder'])[1 + mod(n, 10)] || CASE WHEN mod(n, 3) = 0
                       THEN 's' ELSE '' END,
                       'filters', CASE WHEN mod(n, 5) = 0 THEN '{}'::jsonb ELSE jsonb_build_object('province',
                           jsonb_build_array((ARRAY['Groningen','Utrecht','Limburg','Zeeland'])[1 + mod(n, 4)]),
                           'situation', (ARRAY['werkzoekend','eigen-werk','werkgever'])[1 + mod(n, 3)]) END,
                       'result_count', mod(n, 40), 'zero_results', mod(n, 7) = 0, 'latency_ms', 3.0,
                       'zero_kind', CASE WHEN mod(n, 7) = 0 THEN (ARRAY['nothing','elsewhere','filtered_out'])[1 + mod(n, 3)] END)
            FROM generate_series(1, %(n)s) n""", {"n": count})
        views = count // 10
        conn.execute("""
            INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
            SELECT gen_random_uuid(), 'search', 'course_viewed', 1,
                   now() - (mod(n, 365)) * interval '1 day' - (mod(n, 86400)) * interval '1 second' + interval '30 seconds',
                   jsonb_build_object('search_id', md5(n::text), 'course_id', gen_random_uuid())
            FROM generate_series(1, %(n)s, 10) n""", {"n": count})
        conn.execute("""
            INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
            SELECT gen_random_uuid(), 'intake', 'intake_submitted', 1,
                   now() - (mod(n, 365)) * interval '1 day' - (mod(n, 86400)) * interval '1 second' + interval '5 minutes',
                   jsonb_build_object('search_id', md5(n::text), 'intake_id', md5('i' || n)::uuid, 'team', 'landelijk',
                                      'situation', 'werkzoekend', 'preferred_contact', 'phone', 'language', 'nl',
                                      'share_with_provider', false, 'callback_due_by', now() + interval '2 days')
            FROM generate_series(1, %(n)s, 100) n""", {"n": count})
        conn.execute("""
            INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
            SELECT gen_random_uuid(), 'intake', 'intake_outcome_recorded', 1,
                   now() - (mod(n, 365)) * interval '1 day' - (mod(n, 86400)) * interval '1 second' + interval '2 days',
                   jsonb_build_object('intake_id', md5('i' || n)::uuid, 'team', 'landelijk', 'situation', 'werkzoekend',
                                      'step', 'advice_given', 'status', 'advised')
            FROM generate_series(1, %(n)s, 300) n""", {"n": count})
        conn.execute("ANALYZE event_archive")
        print(f"archive: {conn.execute('SELECT count(*) FROM event_archive').fetchone()[0]:,} events "
              f"({views:,} views among them)", flush=True)


def timed_reports(url: str, token: str, rounds: int) -> dict[str, list[float]]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    year = {"from": time.strftime("%Y-%m-%d", time.localtime(time.time() - 364 * 86400)),
            "to": time.strftime("%Y-%m-%d")}
    asks = {"demand by week": ("demand", {"group_by": "week"}), "demand by province": ("demand", {"group_by": "province"}),
            "zero results": ("zero-results", {}), "funnel by situation": ("funnel", {"group_by": "situation"})}
    times = {name: [] for name in asks}
    for _ in range(rounds):
        for name, (report, params) in asks.items():
            started = time.perf_counter()
            answer = session.get(f"{url}/api/v1/analytics/{report}", params={**year, **params}, timeout=60)
            times[name].append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2_000_000, help="events of the year the reports read")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    platform, _ = bench_platform()
    platform.start()
    try:
        db = platform.db_urls["analytics"]
        bare = bare_consumer(platform.amqp_uri, args.events)
        print(f"bare consumer: {args.events:,} events at {bare:.0f}/s", flush=True)
        platform.stop_service("analytics")      # the same events wait in its queue, then it takes them
        publish(platform.amqp_uri, args.events)
        started, cpu = time.monotonic(), MachineCpu().start()
        platform.start_service("analytics")
        while archived(db) < args.events:
            time.sleep(0.5)
        archive_rate = args.events / (time.monotonic() - started)
        with psycopg.connect(db, autocommit=True) as conn:      # then until the rollups have read them all
            while True:
                until, last = conn.execute("SELECT (SELECT until FROM rollup_state), "
                                           "(SELECT max(received_at) FROM event_archive)").fetchone()
                if until is not None and until > last:
                    break
                time.sleep(0.5)
        rolled = args.events / (time.monotonic() - started)
        cpu.stop()
        figure("analytics", "machine CPU per event archived and rolled up", cpu.ms_per(args.events), "ms")
        print(f"{'path':38} {'events/s':>9}")
        print(f"{'bare kombu consumer (ack only)':38} {bare:>9.0f}")
        print(f"{'analytics: archived':38} {archive_rate:>9.0f}")
        print(f"{'analytics: archived and rolled up':38} {rolled:>9.0f}")
        figure("analytics", "events archived and rolled up", rolled, "events/s", target=">= 5000", baseline=bare,
               baseline_name="a bare kombu consumer")
        print(f"analytics is {rolled / bare:.0%} of the bare consumer; {rolled:.0f} events/s "
              f"(targets >= 5,000/s and >= 50%) -> {'met' if rolled >= 5000 and rolled / bare >= 0.5 else 'NOT met'}")

        platform.stop_service("analytics")
        fill_year(db, args.year)
        # the year went straight into the archive, past the service: its facts are derived first
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "services.analytics.replay", "--facts"], check=True,
                       env={**os.environ, "DATABASE_URL": db})
        print(f"replay of the year, its facts derived from the archive: {time.monotonic() - started:.0f} s", flush=True)
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "services.analytics.replay"], check=True,
                       env={**os.environ, "DATABASE_URL": db})
        print(f"replay of the year's rollups from their facts: {time.monotonic() - started:.0f} s", flush=True)
        platform.start_service("analytics")
        platform.wait_healthy()
        answer = requests.post(f"{platform.url}/api/v1/analysts", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                               json={"name": "Bench", "email": "bench@example.nl"}, timeout=30)
        answer.raise_for_status()
        times = timed_reports(platform.url, answer.json()["token"], args.rounds)
        print(f"{'report over a year':24} {'p50 ms':>8} {'p95 ms':>8}")
        worst = 0.0
        for name, values in times.items():
            p95 = statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]
            worst = max(worst, p95)
            print(f"{name:24} {statistics.median(values):>8.1f} {p95:>8.1f}")
            figure("analytics", f"report over a year: {name}, p95", p95, "ms", target="< 200")
        print(f"slowest report p95 {worst:.0f} ms (target < 200 ms) -> {'met' if worst < 200 else 'NOT met'}")
    finally:
        platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
