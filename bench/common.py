"""What the benchmarks share: a platform of their own on the test profile's RabbitMQ and
PostgreSQL (throw-away vhost and databases, every service a process), and a provider's key."""
from __future__ import annotations

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
