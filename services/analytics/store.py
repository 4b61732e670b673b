"""Every SQL statement of the analytics service."""
from __future__ import annotations

from psycopg.types.json import Jsonb

from services.chassis.postgres import Store
from services.contracts.events import EventEnvelope


class AnalyticsStore(Store):
    def archive(self, envelope: EventEnvelope) -> None:
        self.execute(
            """INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
               VALUES (%(id)s, %(source)s, %(type)s, %(v)s, %(at)s, %(payload)s)
               ON CONFLICT (event_id) DO NOTHING""",
            {"id": envelope.event_id, "source": envelope.source, "type": envelope.event_type,
             "v": envelope.schema_version, "at": envelope.occurred_at, "payload": Jsonb(envelope.payload)},
        )

    def event_counts(self) -> dict[str, int]:
        rows = self.fetch_all("SELECT event_type, count(*) AS n FROM event_archive GROUP BY 1")
        return {r["event_type"]: r["n"] for r in rows}

    def events_about(self, key: str, value: str) -> list[dict]:
        return self.fetch_all(
            "SELECT event_id, event_type, payload FROM event_archive WHERE payload->>%(k)s = %(v)s ORDER BY occurred_at",
            {"k": key, "v": value},
        )
