"""Rebuild every rollup (``make analytics-replay``): the demand per day, the zero-result
searches, the funnel and the courses, emptied and recomputed from the facts and the course
events in one transaction, so readers see the old rollups until the new ones are complete. With
``--facts`` (``make analytics-replay FACTS=1``) the facts are first derived again from the whole
archive: after a fact function was added or changed, so past events count too."""
from __future__ import annotations

import os
import sys
import time

import psycopg
from psycopg.rows import dict_row

from services.analytics.service import roll_up
from services.analytics.store import AnalyticsStore


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL (the analytics database) is not set", file=sys.stderr)
        return 2
    started = time.monotonic()
    with psycopg.connect(url, row_factory=dict_row) as conn:
        with conn.transaction():
            store = AnalyticsStore(conn)
            events = store.fetch_one("SELECT count(*) AS n FROM event_archive")["n"]
            print(f"replaying {events:,} archived events into the rollups ...", flush=True)
            done = roll_up(store, int(os.environ.get("ANALYTICS_CONVERSION_DAYS", "90")), replay=True,
                           facts_too="--facts" in sys.argv[1:])
    print(f"done in {time.monotonic() - started:.1f} s: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
