"""The analytics service: archives every event of every service (one queue per source exchange,
bound to all its routing keys), the base of demand rollups and reports."""
from __future__ import annotations

from pathlib import Path

import uuid

from nameko.rpc import rpc

from services.analytics.store import AnalyticsStore
from services.chassis import tokens
from services.chassis.errors import DomainError, NotFound, Unauthorized, validated
from services.chassis.events import handles_batch
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.settings import BatchWindow, DatabaseServiceSettings
from services.contracts.events import EventEnvelope
from services.contracts.rpc import NewAnalyst

ANALYST_TOKEN_PREFIX = "ana_"
rpc_call = rpc(expected_exceptions=DomainError)


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

    # analysts (created by an admin; their token is shown once)

    @rpc_call
    def create_analyst(self, body: dict) -> dict:
        new = validated(NewAnalyst, body, "analyst")
        analyst_id, token = uuid.uuid4(), tokens.new_token(ANALYST_TOKEN_PREFIX)
        with self.store.transaction() as tx:
            tx.insert_analyst(analyst_id, new.name, new.email, tokens.token_hash(token))
        return {"id": str(analyst_id), "name": new.name, "token": token}

    @rpc_call
    def revoke_analyst(self, analyst_id: str) -> None:
        try:
            key = uuid.UUID(analyst_id)
        except ValueError:
            raise NotFound(f"no analyst {analyst_id}") from None
        with self.store.transaction() as tx:
            if not tx.revoke_analyst(key):
                raise NotFound(f"no analyst {analyst_id} with a valid token")

    @rpc_call
    def authenticate_analyst(self, token: str) -> dict:
        with self.store.transaction() as tx:
            analyst = tx.analyst_by_token(tokens.token_hash(token))
        if analyst is None:
            raise Unauthorized("unknown or revoked analyst token")
        return analyst


SERVICE = AnalyticsService
