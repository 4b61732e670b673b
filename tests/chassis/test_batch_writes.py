"""Batches written in one statement each (``json_rows``): what a statement per row did, they
must still do. The order of the outbox, a late older version, the same course or event twice
in one batch."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from services.analytics.store import AnalyticsStore
from services.chassis.migrations import CHASSIS_MIGRATIONS, migrate
from services.chassis.postgres import Store
from services.contracts.catalogue import CourseChangeWithPlaces, CoursePublished, CourseUpdated, ProviderRegistered
from services.contracts.events import EventEnvelope
from services.intake.store import IntakeStore
from tests.search import corpus

SERVICES = Path(__file__).resolve().parents[2] / "services"


@pytest.fixture
def conn(database):
    with psycopg.connect(database, autocommit=True) as conn:
        yield conn


def _migrated(conn, service: str) -> None:
    migrate(conn, ("chassis", CHASSIS_MIGRATIONS), (service, SERVICES / service / "migrations"))


def _version(course, version: int, title: str):
    return course.model_copy(update={"version": version, "title": title})


def test_the_outbox_keeps_the_events_of_a_batch_in_their_order(conn):
    _migrated(conn, "catalogue")
    events = [ProviderRegistered(provider_id=uuid.uuid4(), name=f"Aanbieder {n}", kind="opleider") for n in range(7)]
    with conn.transaction():
        store = Store(conn)
        store.emit_many(events)
        store.emit_many([])
    rows = conn.execute("SELECT event_type, envelope FROM outbox ORDER BY id").fetchall()
    assert [r[1]["payload"]["name"] for r in rows] == [e.name for e in events]
    assert {r[0] for r in rows} == {"provider_registered"}
    assert all(uuid.UUID(r[1]["event_id"]) for r in rows)
    assert store.emitted == events


def test_intake_keeps_the_newest_version_of_a_course_in_a_batch_and_after_it(conn):
    _migrated(conn, "intake")
    first, other = corpus.courses(date.today())[:2]
    v2, v3 = _version(first, 2, "Tweede titel"), _version(first, 3, "Derde titel")

    def event(cls, course):     # as intake reads it off the wire: its headline and its offerings' places
        full = cls(course_id=course.id, provider_id=course.provider.id, version=course.version, course=course)
        return CourseChangeWithPlaces.from_envelope(EventEnvelope.model_validate(full.envelope().model_dump(mode="json")))

    with conn.transaction():
        IntakeStore(conn).remember_courses([event(CourseUpdated, v3), event(CoursePublished, other),
                                            event(CourseUpdated, v2)])
    with conn.transaction():
        IntakeStore(conn).remember_courses([event(CourseUpdated, v2)])     # late and older: nothing
    rows = dict(conn.execute("SELECT course_id, (title, version) FROM courses").fetchall())
    assert rows[first.id] == ("Derde titel", "3")
    assert rows[other.id][0] == other.title
    assert len(rows) == 2


def test_analytics_archives_an_event_once_with_its_time_and_payload(conn):
    _migrated(conn, "analytics")
    at = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    events = [ProviderRegistered(provider_id=uuid.uuid4(), name=f"Aanbieder {n}", kind="opleider").envelope()
              for n in range(3)]
    events = [e.model_copy(update={"occurred_at": at + timedelta(minutes=n)}) for n, e in enumerate(events)]
    with conn.transaction():
        AnalyticsStore(conn).archive(events + events[:1])                  # a redelivery in the same batch
    with conn.transaction():
        AnalyticsStore(conn).archive(events[1:2])                          # and a later one
    rows = conn.execute("SELECT event_id, occurred_at, payload, source, event_type, schema_version "
                        "FROM event_archive ORDER BY occurred_at").fetchall()
    assert [r[0] for r in rows] == [e.event_id for e in events]
    assert [r[1] for r in rows] == [e.occurred_at for e in events]
    assert [r[2] for r in rows] == [e.payload for e in events]
    assert {(r[3], r[4], r[5]) for r in rows} == {("catalogue", "provider_registered", 1)}
