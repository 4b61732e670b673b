"""What the benchmarks share: a platform of their own on the test profile's RabbitMQ and
PostgreSQL (throw-away vhost and databases, every service a process), and a provider's key."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.infra import ADMIN_TOKEN, Platform, Postgres, Rabbit  # noqa: E402


def bench_platform() -> tuple[Platform, Postgres]:
    """Not started yet; the caller starts and stops it."""
    rabbit = Rabbit(os.environ["AMQP_URI"], os.environ["RABBIT_API_URI"])
    postgres = Postgres(os.environ["PG_ADMIN_URL"])
    log_dir = ROOT / ".run" / "test" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    # as `make run` deploys it (deploy/local/env.sh says how many search processes)
    processes = {"search": int(os.environ.get("SEARCH_PROCESSES", "1"))}
    return Platform(rabbit, postgres, log_dir, processes=processes), postgres


def provider_key(platform: Platform, name: str) -> str:
    """Register a provider through the gateway; its API key."""
    answer = requests.post(f"{platform.url}/api/v1/providers", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                           json={"name": name, "kind": "opleider"}, timeout=30)
    answer.raise_for_status()
    return answer.json()["api_key"]


FIGURES = Path(os.environ.get("BENCH_FIGURES") or ROOT / ".run" / "test" / "bench-figures.jsonl")
COMPARE = {"<": lambda v, t: v < t, "<=": lambda v, t: v <= t, ">": lambda v, t: v > t, ">=": lambda v, t: v >= t}


def figure(bench: str, name: str, value: float, unit: str, *, target: str | None = None,
           baseline: float | None = None, baseline_name: str | None = None) -> dict:
    """Record one measured figure for `make bench`'s summary (bench/summary.py): appended as a
    JSON line to BENCH_FIGURES (default .run/test/bench-figures.jsonl). ``target`` is an
    operator and a number in ``unit`` ("< 100", ">= 5000"); ``baseline`` is the same-run
    baseline in the same unit, and the ratio is value / baseline."""
    met = None
    if target is not None:
        operator, number = target.split()
        met = COMPARE[operator](value, float(number))
    row = {"bench": bench, "figure": name, "value": round(float(value), 3), "unit": unit, "target": target,
           "met": met, "baseline": None if baseline is None else round(float(baseline), 3),
           "baseline_name": baseline_name,
           "ratio": round(value / baseline, 4) if baseline else None}
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
    return row
