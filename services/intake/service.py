"""The intake service. For now it keeps the list of courses a person can ask about current;
intake requests and advisors build on it."""
from __future__ import annotations

from pathlib import Path

from nameko.rpc import rpc

from services.chassis.events import handles
from services.chassis.health import HealthMixin
from services.chassis.postgres import Database
from services.chassis.settings import DatabaseServiceSettings
from services.contracts.events import CourseEvent, CoursePublished, CourseUpdated, CourseWithdrawn
from services.intake.store import IntakeStore

Settings = DatabaseServiceSettings


class IntakeService(HealthMixin):
    name = "intake"

    store = Database(IntakeStore, Path(__file__).parent / "migrations", source="intake")

    @handles("catalogue", CoursePublished.event_type)
    def handle_course_published(self, tx: IntakeStore, event: CoursePublished):
        self._remember(tx, event, True)

    @handles("catalogue", CourseUpdated.event_type)
    def handle_course_updated(self, tx: IntakeStore, event: CourseUpdated):
        self._remember(tx, event, event.course.status == "published")

    @handles("catalogue", CourseWithdrawn.event_type)
    def handle_course_withdrawn(self, tx: IntakeStore, event: CourseWithdrawn):
        self._remember(tx, event, False)

    @staticmethod
    def _remember(tx: IntakeStore, event: CourseEvent, published: bool) -> None:
        tx.remember_course(event.course_id, event.provider_id, event.course.title, published, event.version)

    @rpc
    def known_course(self, course_id: str) -> dict | None:
        with self.store.transaction() as tx:
            row = tx.course(course_id)
        return row and {**row, "course_id": str(row["course_id"]), "provider_id": str(row["provider_id"])}


SERVICE = IntakeService
