"""The notify service. For now it learns which providers exist (to address lead callbacks and
webhooks to them later); mail, SMS and webhook delivery build on it."""
from __future__ import annotations

from pathlib import Path

from nameko.rpc import rpc

from services.chassis.events import handles
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.settings import DatabaseServiceSettings
from services.contracts.events import ProviderRegistered
from services.notify.store import NotifyStore

Settings = DatabaseServiceSettings


class NotifyService(HealthMixin):
    name = "notify"

    store = Database(NotifyStore, Path(__file__).parent / "migrations")

    @handles("catalogue", ProviderRegistered.event_type)
    def handle_provider_registered(self, tx: NotifyStore, event: ProviderRegistered):
        tx.add_provider(event.provider_id, event.name, event.kind)

    @rpc
    def known_provider(self, provider_id: str) -> dict | None:
        with self.store.transaction() as tx:
            row = tx.provider(provider_id)
        return row and {"provider_id": str(row["provider_id"]), "name": row["name"], "kind": row["kind"]}


SERVICE = NotifyService
