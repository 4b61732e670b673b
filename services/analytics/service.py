"""The analytics service: archives every event of every service (partitioned by month), rolls
the archive up into demand per day and dimension, zero-result searches explained, and the funnel
from search to enrolment (recomputed from the archive, so a replay gives the same), and answers
reports with small groups hidden. Analysts read them, and the event stream itself."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer

from services.analytics import facts, reports
from services.analytics.settings import Settings  # noqa: F401 (read by services.run)
from services.analytics.store import AnalyticsStore
from services.chassis import tokens
from services.chassis.errors import DomainError, NotFound, Unauthorized, ValidationFailed, validated
from services.chassis.events import handles_batch
from services.chassis.health import HealthMixin
from services.chassis.members import Members
from services.contracts.members import ANALYSTS
from services.chassis.sessions import Sessions
from services.chassis.postgres import Database
from services.contracts.events import EventEnvelope
from services.contracts.analytics import NewAnalyst

log = logging.getLogger(__name__)
ANALYST_TOKEN_PREFIX = "ana_"
rpc_call = rpc(expected_exceptions=DomainError)
LATE = timedelta(minutes=5)     # a batch committing this late is still rolled up


class AnalyticsService(Members, Sessions, HealthMixin):
    name = "analytics"

    store = Database(AnalyticsStore, Path(__file__).parent / "migrations")
    config = Config()

    @handles_batch("catalogue", "#", claim=False)      # the archive is idempotent on the event id
    def handle_catalogue_event(self, tx: AnalyticsStore, envelopes: list[EventEnvelope]):
        tx.archive(envelopes)
        tx.add_facts(facts.of_envelopes(envelopes))

    @handles_batch("search", "#", claim=False)
    def handle_search_event(self, tx: AnalyticsStore, envelopes: list[EventEnvelope]):
        tx.archive(envelopes)
        tx.add_facts(facts.of_envelopes(envelopes))

    @handles_batch("intake", "#", claim=False)
    def handle_intake_event(self, tx: AnalyticsStore, envelopes: list[EventEnvelope]):
        tx.archive(envelopes)
        tx.add_facts(facts.of_envelopes(envelopes))

    @timer(interval=10)
    def roll_up(self):
        with self.store.transaction() as tx:
            done = roll_up(tx, self.config["ANALYTICS_CONVERSION_DAYS"])
        if done and any(done.values()):
            log.info("rolled up: %s", done)

    # reports (analysts and admins, through the gateway)

    @rpc_call
    def report(self, name: str, params: dict) -> dict:
        if name not in reports.QUERIES:
            raise NotFound(f"no report {name}")
        query = validated(reports.QUERIES[name], params, f"{name} report")
        with self.store.autocommit() as db:
            return reports.report(db, name, query, self.config["ANALYTICS_MIN_GROUP"],
                                  self.config.get("ANALYTICS_MIN_SEARCHERS"))

    @rpc_call
    def events_after(self, seq: int, limit: int = 100) -> list[dict]:
        """The archive in the order it arrived, after ``seq`` (the server-sent event stream)."""
        if not isinstance(seq, int) or seq < 0:
            raise ValidationFailed("Last-Event-ID is not an event's id", [{"field": "Last-Event-ID", "message": "a number"}])
        settled = datetime.now(timezone.utc) - timedelta(seconds=2)
        with self.store.autocommit() as db:
            rows = db.events_after(seq, min(max(limit, 1), 1000), settled)
        return [{**r, "occurred_at": r["occurred_at"].isoformat()} for r in rows]

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
        new = validated(NewAnalyst, body)
        analyst_id, token = uuid.uuid4(), tokens.new_token(ANALYST_TOKEN_PREFIX)
        with self.store.transaction() as tx:
            tx.insert_analyst(analyst_id, new.name, new.email, self.store.credential_hash(token))
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
            analyst = self.principal_of(tx, self.store.credential_hash(token))
        if analyst is None:
            raise Unauthorized("unknown or revoked analyst token")
        return analyst

    def principal_of(self, tx: AnalyticsStore, credential_hash: str) -> dict | None:
        """The analyst whose token this is (pages' sessions ask too: chassis/sessions.py)."""
        return tx.analyst_by_token(credential_hash)

    def organisation_principal(self, tx: AnalyticsStore, member: dict) -> dict | None:
        """The analysts are one organisation; a member signs in as an analyst (chassis/members.py)."""
        return {"id": str(member["id"]), "name": member["name"] or member["email"]} if member["organisation"] == ANALYSTS else None

    def organisation_of(self, principal: dict) -> str | None:
        return ANALYSTS if principal["role"] == "analyst" else None


def roll_up(tx: AnalyticsStore, conversion_days: int, replay: bool = False, facts_too: bool = False) -> dict | None:
    """Bring the rollups up to the archive: the courses' latest state, every day an event arrived
    for (recomputed whole from the archive), the funnel rows those events touch. Events are taken
    by when they arrived, with a margin (``LATE``) for a batch that committed late, so nothing is
    missed; recomputing is idempotent, so taking one twice changes nothing. ``replay``: empty the
    rollups and recompute them from all the facts (``make analytics-replay``); ``facts_too``: derive
    the facts again from the whole archive first (after a fact function was added or changed)."""
    if replay:
        tx.reset_rollups(facts_too)
    claimed, until = tx.claim_rollups()
    if not claimed:
        return None     # another analytics process is at it
    now = tx.now()
    if not tx.facts_derived():      # an archive from before the facts, or a replay: derive them all
        derive_facts(tx)
    if replay or until is None:     # a whole recompute: the planner must know the facts table
        tx.analyse_facts()
    since = None if until is None else until - LATE
    courses = tx.apply_course_events(since)
    days = tx.arrived_days(since)
    tx.recompute_days(days)
    funnel = tx.recompute_funnel(since, conversion_days)
    tx.rolled_up(now)
    return {"courses": courses, "days": len(days), "funnel_rows": funnel}


def derive_facts(tx: AnalyticsStore, batch: int = 5000) -> int:
    """The facts of every archived event (facts.py), in the order they arrived."""
    seq, derived = 0, 0
    while archived := tx.archived_after(seq, batch, list(facts.FACTS)):
        rows = facts.of_archive(archived)
        tx.add_facts(rows)
        seq, derived = archived[-1]["seq"], derived + len(rows)
        log.info("facts derived from the archive: %d so far", derived)
    tx.derived_facts()
    return derived


SERVICE = AnalyticsService
