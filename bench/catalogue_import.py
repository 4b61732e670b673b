"""Benchmark: bulk import through the gateway against a bare COPY of the same rows.

Starts its own platform (every service as a process, a throw-away vhost and databases on the
test profile's RabbitMQ and PostgreSQL), generates realistic courses, imports them as NDJSON and
prints offerings/s, the catalogue's peak RSS after a small and after the full import (memory
must be flat in N), and the same courses loaded with COPY into an equivalent table, as a ratio.
Run with `make bench-import` (N=100000 offerings over 20000 courses by default)."""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from bench.common import MachineCpu, bench_platform, figure, provider_key, rss_mb  # noqa: E402
from tests.infra import Platform, Postgres  # noqa: E402

CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Groningen", "Eindhoven", "Zwolle", "Venlo", "Tilburg",
          "Arnhem", "Leeuwarden", "Middelburg", "Den Haag", "Breda", "Enschede", "Maastricht", "Assen"]
SUBJECTS = ["Heftruck", "VCA Basis", "Lassen", "Verpleegkunde", "Python", "BHV", "Zonnepanelen", "Warmtepompen",
            "Logistiek", "Boekhouden", "Leidinggeven", "NT2", "Excel", "Elektrotechniek", "Kraanmachinist"]
LEVELS = ["mbo-1", "mbo-2", "mbo-3", "mbo-4", "hbo-bachelor", "geen"]
SECTORS = ["bouw", "techniek", "zorg-welzijn", "ict", "logistiek", "energie", "algemeen"]


def generate(path: Path, courses: int, offerings_per_course: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    today = date.today()
    with path.open("w") as out:
        for n in range(courses):
            subject = rng.choice(SUBJECTS)
            offerings = []
            for k in range(offerings_per_course):
                start = today + timedelta(days=rng.randint(7, 400))
                mode = rng.choice(["klassikaal", "klassikaal", "blended", "online"])
                offering = {"external_id": f"O{k}", "start_date": str(start),
                            "end_date": str(start + timedelta(days=rng.randint(0, 60))), "mode": mode,
                            "price_eur": rng.randint(0, 400000) / 100, "seats_available": rng.randint(0, 20),
                            "status": "open"}
                if mode != "online":
                    offering["location"] = {"city": rng.choice(CITIES)}
                offerings.append(offering)
            course = {"external_id": f"BENCH-{n:06d}", "title": f"{subject} {rng.choice(['basis', 'gevorderd', 'praktijk'])} {n}",
                      "description": f"{subject}: een praktijkgerichte opleiding. " * rng.randint(2, 8),
                      "keywords": [subject.lower(), "opleiding"], "level": rng.choice(LEVELS),
                      "sectors": rng.sample(SECTORS, 2), "situations": ["eigen-werk", "werkzoekend"],
                      "credential": "certificaat", "study_load_hours": rng.randint(4, 400), "offerings": offerings}
            out.write(json.dumps(course) + "\n")
    return courses * offerings_per_course


def import_file(platform: Platform, key: str, path: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    with path.open("rb") as body:
        answer = requests.post(f"{platform.url}/api/v1/courses/import?format=ndjson", data=body, timeout=3600,
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"})
    answer.raise_for_status()
    return time.perf_counter() - started, answer.json()


def copy_baseline(postgres: Postgres, path: Path) -> float:
    """The same courses, parsed and loaded with one COPY into an equivalent table: the floor."""
    name = f"t{uuid.uuid4().hex[:8]}_copy"
    url = postgres.create(name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("""CREATE TABLE courses (id uuid PRIMARY KEY, provider_id uuid NOT NULL, external_id text NOT NULL,
                            version integer NOT NULL, status text NOT NULL, data jsonb NOT NULL,
                            UNIQUE (provider_id, external_id))""")
            provider = uuid.uuid4()
            started = time.perf_counter()
            with conn.cursor() as cur, cur.copy("COPY courses FROM STDIN") as copy, path.open() as source:
                for line in source:
                    course = json.loads(line)
                    copy.write_row((uuid.uuid4(), provider, course["external_id"], 1, "published", Jsonb(course)))
            return time.perf_counter() - started
    finally:
        postgres.drop(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offerings", type=int, default=100_000)
    parser.add_argument("--per-course", type=int, default=5)
    args = parser.parse_args()
    platform, postgres = bench_platform()
    with tempfile.TemporaryDirectory() as tmp:
        small, full = Path(tmp) / "small.ndjson", Path(tmp) / "full.ndjson"
        courses = args.offerings // args.per_course
        generate(small, max(courses // 10, 1), args.per_course, seed=1)
        offerings = generate(full, courses, args.per_course, seed=2)
        print(f"generated {courses} courses with {offerings} offerings ({full.stat().st_size / 2**20:.1f} MiB NDJSON)")
        try:
            platform.start()
            pid = platform.procs["catalogue"].pid
            keys = [provider_key(platform, f"Bench {i}") for i in range(2)]
            small_seconds, small_report = import_file(platform, keys[0], small)
            rss_small = rss_mb(pid, "VmHWM")
            with MachineCpu() as cpu:      # the import alone: search and analytics take its events later
                seconds, report = import_file(platform, keys[1], full)
            rss_full = rss_mb(pid, "VmHWM")
            again_seconds, again = import_file(platform, keys[1], full)
        finally:
            platform.stop()
        copy_seconds = copy_baseline(postgres, full)
    rate, copy_rate = offerings / seconds, offerings / copy_seconds
    print(f"import     : {report['accepted']} courses, {offerings} offerings in {seconds:.1f} s "
          f"= {rate:,.0f} offerings/s ({len(report['rejected'])} rejected)")
    print(f"re-import  : unchanged file in {again_seconds:.1f} s = {offerings / again_seconds:,.0f} offerings/s "
          f"({again['accepted']} accepted, no events)")
    print(f"bare COPY  : {copy_seconds:.1f} s = {copy_rate:,.0f} offerings/s")
    print(f"ratio      : import is {rate / copy_rate:.0%} of bare COPY throughput (target >= 25%)")
    print(f"catalogue peak RSS: {rss_small:.0f} MiB after {small_report['accepted'] * args.per_course} offerings, "
          f"{rss_full:.0f} MiB after {offerings} more (flat in N if these are close)")
    figure("import", f"import of {offerings:,} offerings", rate, "offerings/s", baseline=copy_rate,
           baseline_name="bare COPY")
    figure("import", f"import of {offerings:,} offerings, seconds", seconds, "s", target="< 60")
    figure("import", "catalogue peak RSS after the full import", rss_full, "MiB")
    figure("import", "machine CPU per offering imported", cpu.ms_per(offerings), "ms")
    print(f"target: {offerings} offerings in under 60 s -> {'met' if seconds < 60 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
