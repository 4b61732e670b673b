"""Every SQL statement of the notify service."""
from __future__ import annotations

from services.chassis.postgres import Store


class NotifyStore(Store):
    def add_provider(self, provider_id, name: str, kind: str) -> None:
        self.execute(
            """INSERT INTO providers (provider_id, name, kind)
               VALUES (%(id)s, %(name)s, %(kind)s) ON CONFLICT (provider_id) DO NOTHING""",
            {"id": provider_id, "name": name, "kind": kind},
        )

    def provider(self, provider_id) -> dict | None:
        return self.fetch_one("SELECT * FROM providers WHERE provider_id = %(id)s", {"id": provider_id})
