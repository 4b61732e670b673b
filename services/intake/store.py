"""Every SQL statement of the intake service."""
from __future__ import annotations

from services.chassis.postgres import Store
from services.contracts.events import CourseEvent


class IntakeStore(Store):
    def remember_courses(self, events: list[CourseEvent]) -> None:
        """Each course as the event leaves it; an older version than the one kept changes
        nothing. In course order, so concurrent batches take the row locks in the same order."""
        with self.conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO courses (course_id, provider_id, title, published, version)
                   VALUES (%(c)s, %(p)s, %(t)s, %(pub)s, %(v)s)
                   ON CONFLICT (course_id) DO UPDATE SET title = EXCLUDED.title,
                       published = EXCLUDED.published, version = EXCLUDED.version
                   WHERE courses.version < EXCLUDED.version""",
                [{"c": e.course_id, "p": e.provider_id, "t": e.course.title, "pub": e.published, "v": e.version}
                 for e in sorted(events, key=lambda e: (str(e.course_id), e.version))],
            )

    def course(self, course_id) -> dict | None:
        return self.fetch_one("SELECT * FROM courses WHERE course_id = %(c)s", {"c": course_id})
