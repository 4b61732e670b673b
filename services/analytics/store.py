"""Every SQL statement of the analytics service."""
from __future__ import annotations

from services.chassis.postgres import Store, json_rows
from services.contracts.events import EventEnvelope


class AnalyticsStore(Store):
    def archive(self, envelopes: list[EventEnvelope]) -> None:
        """One statement for the batch (a statement per event cost more CPU than the events)."""
        self.execute(
            """INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
               SELECT r.id, r.source, r.type, r.v, r.at, r.payload
               FROM jsonb_to_recordset(%(rows)s) AS r(id uuid, source text, type text, v integer,
                    at timestamptz, payload jsonb)
               ORDER BY r.id
               ON CONFLICT (event_id) DO NOTHING""",
            {"rows": json_rows([{"id": e.event_id, "source": e.source, "type": e.event_type, "v": e.schema_version,
                                 "at": e.occurred_at, "payload": e.payload} for e in envelopes])},
        )

    def event_counts(self) -> dict[str, int]:
        rows = self.fetch_all("SELECT event_type, count(*) AS n FROM event_archive GROUP BY 1")
        return {r["event_type"]: r["n"] for r in rows}

    def events_about(self, key: str, value: str) -> list[dict]:
        return self.fetch_all(
            "SELECT event_id, event_type, payload FROM event_archive WHERE payload->>%(k)s = %(v)s ORDER BY occurred_at",
            {"k": key, "v": value},
        )

    # analysts

    def insert_analyst(self, analyst_id, name: str, email: str, token_hash: str) -> None:
        self.execute("INSERT INTO analysts (id, name, email, token_hash) VALUES (%(id)s, %(n)s, %(e)s, %(h)s)",
                     {"id": analyst_id, "n": name, "e": email, "h": token_hash})

    def revoke_analyst(self, analyst_id) -> bool:
        return self.execute("UPDATE analysts SET revoked_at = now() WHERE id = %(id)s AND revoked_at IS NULL",
                            {"id": analyst_id}).rowcount == 1

    def analyst_by_token(self, token_hash: str) -> dict | None:
        return self.fetch_one("SELECT id::text, name FROM analysts WHERE token_hash = %(h)s AND revoked_at IS NULL",
                              {"h": token_hash})
