"""The intake service. For now it keeps the list of courses a person can ask about current;
intake requests and advisors build on it."""
from __future__ import annotations

from pathlib import Path

from nameko.rpc import rpc

from services.chassis.events import handles_batch
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.settings import DatabaseServiceSettings
from services.contracts.events import CourseChange, CoursePublished, CourseUpdated, CourseWithdrawn
from services.intake.store import IntakeStore

Settings = DatabaseServiceSettings


class IntakeService(HealthMixin):
    name = "intake"

    store = Database(IntakeStore, Path(__file__).parent / "migrations", source="intake")

    # a course event is read for its headline (CourseChange): intake keeps a course's title
    # and whether it is published, not its offerings
    @handles_batch("catalogue", CoursePublished.event_type, model=CourseChange)
    def handle_course_published(self, tx: IntakeStore, events: list[CourseChange]):
        tx.remember_courses(events)

    @handles_batch("catalogue", CourseUpdated.event_type, model=CourseChange)
    def handle_course_updated(self, tx: IntakeStore, events: list[CourseChange]):
        tx.remember_courses(events)

    @handles_batch("catalogue", CourseWithdrawn.event_type, model=CourseChange)
    def handle_course_withdrawn(self, tx: IntakeStore, events: list[CourseChange]):
        tx.remember_courses(events)

    @rpc
    def known_course(self, course_id: str) -> dict | None:
        with self.store.transaction() as tx:
            row = tx.course(course_id)
        return row and {**row, "course_id": str(row["course_id"]), "provider_id": str(row["provider_id"])}


SERVICE = IntakeService
