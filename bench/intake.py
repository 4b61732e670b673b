"""Benchmark: intake requests submitted through the gateway at 1 and 8 clients (intakes/s,
p50/p95/p99), beside the same rows inserted straight into the intake database in the same run
(the ratio is the cost of our path: HTTP, RPC, validation, routing, the deadline, the outbox);
then the deadline timer's sweep over 100,000 open intakes, with nothing due and with 1,000 due.

Starts its own platform on the test profile (as the other benchmarks do). Run with
`make bench-intake`. Targets: p99 under 100 ms at 8 clients; a sweep under 1 s."""
from __future__ import annotations

import argparse
import itertools
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench.common import bench_platform, cpu_seconds, figure, mail_catcher, profiled  # noqa: E402
from bench.search import pct, run_clients  # noqa: E402
from services.intake.service import sweep_warnings  # noqa: E402
from services.intake.store import IntakeStore  # noqa: E402
from tests.infra import ADMIN_TOKEN  # noqa: E402

POSTCODES = ["9712 CP", "5912 AB", "3511 AB", "1011 AB", "6211 AA", "8011 AA"]
TEAMS = [{"code": "noord", "name": "Noord", "provinces": ["Groningen", "Friesland", "Drenthe"]},
         {"code": "zuid", "name": "Zuid", "provinces": ["Limburg", "Noord-Brabant"]},
         {"code": "midden", "name": "Midden", "provinces": ["Utrecht"], "postcode_ranges": [["3500", "3585"]]}]
COUNTER = itertools.count(1)


def body() -> dict:
    n = next(COUNTER)
    return {"situation": "werkzoekend", "name": f"Persoon {n}", "email": f"p{n}@example.nl",
            "phone": f"06 {10_000_000 + n:08d}", "postcode": POSTCODES[n % len(POSTCODES)],
            "preferred_contact": "phone", "consent": True}


def gateway(url: str):
    def make():
        session = requests.Session()

        def do(_query=None):     # run_clients hands every call a search query: not needed here
            answer = session.post(f"{url}/api/v1/intakes", json=body(), timeout=30)
            if answer.status_code != 201:
                raise RuntimeError(answer.text[:200])
        return do
    return make


def direct(db_url: str):
    """The same row (and its history line) inserted straight into the intake database, one
    transaction each, as the service stores it (no routing, deadline or events)."""
    def make():
        conn = psycopg.connect(db_url, autocommit=True)
        now = datetime.now(timezone.utc)

        def do(_query=None):
            b = body()
            with conn.transaction():
                IntakeStore(conn).insert_intake({
                    "id": uuid.uuid4(), "team": "landelijk", "routed_by": "national", "situation": b["situation"],
                    "course_id": None, "provider_id": None, "search_id": None, "preferred_contact": "phone",
                    "language": "nl", "share_with_provider": False, "consent": {"callback": True},
                    "token_hash": f"bench:{uuid.uuid4()}", "mail_token": None, "body_hash": None, "name": b["name"],
                    "email": b["email"], "phone": "+31" + b["phone"][1:].replace(" ", ""), "postcode": b["postcode"],
                    "message": None, "received_at": now, "callback_due_by": now + timedelta(days=2),
                    "due_soon_at": now + timedelta(days=1)})
        return do
    return make


def fill_open_intakes(db_url: str, count: int, due_now: int) -> None:
    """``count`` open requests, ``due_now`` of them past their warning moment (a 24/7 team)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("""INSERT INTO teams (code, name, opens, closes, weekdays, closed_on_public_holidays)
                        VALUES ('altijd', 'Altijd open', '00:00', '23:59:59', '{0,1,2,3,4,5,6}', false)
                        ON CONFLICT DO NOTHING""")
        conn.execute("""INSERT INTO intakes (id, team, routed_by, situation, preferred_contact, language,
                            share_with_provider, consent, token_hash, received_at, callback_due_by, due_soon_at)
                        SELECT gen_random_uuid(), 'altijd', 'national', 'werkzoekend', 'phone', 'nl', false, '{}',
                               'bench:' || gen_random_uuid(), now(), now() + interval '2 days',
                               CASE WHEN n <= %(due)s THEN now() - interval '1 minute' ELSE now() + interval '1 day' END
                        FROM generate_series(1, %(count)s) n""", {"count": count, "due": due_now})
        conn.execute("VACUUM ANALYZE intakes")


def timed_sweep(db_url: str) -> tuple[float, dict]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        started = time.perf_counter()
        with conn.transaction():
            store = IntakeStore(conn)
            sent = sweep_warnings(store, datetime.now(timezone.utc))
            store.before_commit()
        return time.perf_counter() - started, sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="seconds per measured phase")
    parser.add_argument("--open-intakes", type=int, default=100_000)
    parser.add_argument("--profile", type=Path, help="sample every process with py-spy during the 8 clients' "
                                                     "run through the gateway; the stacks go to this folder")
    args = parser.parse_args()
    # notify sends each request's two mails, as in production (to the mail catcher)
    with mail_catcher() as (smtp_port, _):
        return measure(args, smtp_port)


def measure(args, smtp_port: int) -> int:
    platform, _ = bench_platform()
    platform.extra_env.update(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    platform.start()
    try:
        for team in TEAMS:
            requests.post(f"{platform.url}/api/v1/advisor-teams", json=team,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30).raise_for_status()
        run_clients(gateway(platform.url), 2, 2)      # warm-up, not counted
        print(f"{'clients':>7} {'path':8} {'intakes/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} errors")
        figures, cpu_lines = {}, []
        for clients in (1, 8):
            for name, make in (("gateway", gateway(platform.url)), ("direct", direct(platform.db_urls["intake"]))):
                pids = {n: p.pid for n, p in platform.procs.items()}
                before = cpu_seconds(pids)
                if args.profile and (clients, name) == (8, "gateway"):
                    with profiled(pids, args.profile):
                        rate, lat, errors = run_clients(make, clients, args.seconds)
                else:
                    rate, lat, errors = run_clients(make, clients, args.seconds)
                if name == "gateway":
                    used = {n: v - before[n] for n, v in cpu_seconds(pids).items()}
                    count = rate * args.seconds
                    per = {n: used[n] / count * 1000 for n in used}
                    rest = per["machine"] - sum(v for n, v in per.items() if n != "machine")
                    cpu_lines.append(f"CPU ms per intake at {clients} client(s): " + ", ".join(
                        f"{n} {per[n]:.1f}" for n in pids) + f", RabbitMQ + PostgreSQL + the clients {rest:.1f}, "
                        f"all {per['machine']:.1f} (2 cores: at most {2000 / per['machine']:.0f} intakes/s)")
                figures[(clients, name)] = (rate, lat)
                print(f"{clients:>7} {name:8} {rate:>10.1f} {pct(lat, 50):>8.1f} {pct(lat, 95):>8.1f} "
                      f"{pct(lat, 99):>8.1f} {errors}", flush=True)
        for clients in (1, 8):
            ratio = figures[(clients, "gateway")][0] / figures[(clients, "direct")][0]
            print(f"ratio at {clients} clients: the gateway path is {ratio:.0%} of the direct inserts' throughput")
        for line in cpu_lines:
            print(line)
        for clients in (1, 8):
            (rate, lat), (direct_rate, _) = figures[(clients, "gateway")], figures[(clients, "direct")]
            figure("intake", f"intakes/s through the gateway, {clients} client(s)", rate, "intakes/s",
                   baseline=direct_rate, baseline_name="direct inserts")
            figure("intake", f"p99 through the gateway, {clients} client(s)", pct(lat, 99), "ms",
                   target="< 100" if clients == 8 else None)
        figure("intake", "CPU per intake, the whole machine, 8 clients", per["machine"], "ms")
        p99 = pct(figures[(8, "gateway")][1], 99)
        print(f"p99 at 8 clients through the gateway: {p99:.1f} ms (target < 100 ms) -> {'met' if p99 < 100 else 'NOT met'}")

        platform.stop_service("intake")     # the bench sweeps; the service's own timer would race it
        fill_open_intakes(platform.db_urls["intake"], args.open_intakes, 0)
        idle, _ = timed_sweep(platform.db_urls["intake"])
        fill_open_intakes(platform.db_urls["intake"], 1000, 1000)
        busy, sent = timed_sweep(platform.db_urls["intake"])
        figure("intake", f"deadline sweep over {args.open_intakes + 1000:,} open intakes, 1,000 due", busy * 1000,
               "ms", target="< 1000")
        print(f"sweep over {args.open_intakes + 1000:,} open intakes: nothing due {idle * 1000:.1f} ms; "
              f"1,000 due ({sent}) {busy * 1000:.1f} ms (target < 1 s) -> {'met' if max(idle, busy) < 1 else 'NOT met'}")
    finally:
        platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
