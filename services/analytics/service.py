"""The analytics service: archives every event of every service (one queue per source exchange,
bound to all its routing keys), the base of demand rollups and reports."""
from __future__ import annotations

from pathlib import Path

from nameko.rpc import rpc

from services.analytics.store import AnalyticsStore
from services.chassis.events import handles_batch
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.settings import BatchWindow, DatabaseServiceSettings
from services.contracts.events import EventEnvelope


class Settings(DatabaseServiceSettings):
    # the archive is read by people, not by a waiting request: larger batches (a search's
    # event cost analytics ~1.2 ms of CPU alone at the common 20 ms window)
    event_batch_window: BatchWindow = 0.25


class AnalyticsService(HealthMixin):
    name = "analytics"

    store = Database(AnalyticsStore, Path(__file__).parent / "migrations")

    @handles_batch("catalogue", "#")
    def handle_catalogue_event(self, tx: AnalyticsStore, envelopes: list[EventEnvelope]):
        tx.archive(envelopes)

    @handles_batch("search", "#")
    def handle_search_event(self, tx: AnalyticsStore, envelopes: list[EventEnvelope]):
        tx.archive(envelopes)

    @handles_batch("intake", "#")
    def handle_intake_event(self, tx: AnalyticsStore, envelopes: list[EventEnvelope]):
        tx.archive(envelopes)

    @rpc
    def event_counts(self) -> dict[str, int]:
        with self.store.transaction() as tx:
            return tx.event_counts()

    @rpc
    def events_about(self, key: str, value: str) -> list[dict]:
        """Archived events whose payload has ``key`` = ``value`` (e.g. course_id), oldest first."""
        with self.store.transaction() as tx:
            rows = tx.events_about(key, value)
        return [{"event_id": str(r["event_id"]), "event_type": r["event_type"], "payload": r["payload"]}
                for r in rows]


SERVICE = AnalyticsService
