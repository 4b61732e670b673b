"""Every SQL statement of the analytics service."""
from __future__ import annotations

from psycopg.types.json import Jsonb

from services.chassis.postgres import Store
from services.contracts.events import EventEnvelope


class AnalyticsStore(Store):
    def archive(self, envelopes: list[EventEnvelope]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
                   VALUES (%(id)s, %(source)s, %(type)s, %(v)s, %(at)s, %(payload)s)
                   ON CONFLICT (event_id) DO NOTHING""",
                [{"id": e.event_id, "source": e.source, "type": e.event_type, "v": e.schema_version,
                  "at": e.occurred_at, "payload": Jsonb(e.payload)} for e in sorted(envelopes, key=lambda e: e.event_id)],
            )

    def event_counts(self) -> dict[str, int]:
        rows = self.fetch_all("SELECT event_type, count(*) AS n FROM event_archive GROUP BY 1")
        return {r["event_type"]: r["n"] for r in rows}

    def events_about(self, key: str, value: str) -> list[dict]:
        return self.fetch_all(
            "SELECT event_id, event_type, payload FROM event_archive WHERE payload->>%(k)s = %(v)s ORDER BY occurred_at",
            {"k": key, "v": value},
        )
