"""Every SQL statement of the intake service."""
from __future__ import annotations

from services.chassis.postgres import Store, json_rows, newest_versions
from services.contracts.events import CourseChange


class IntakeStore(Store):
    def remember_courses(self, events: list[CourseChange]) -> None:
        """Each course as the event leaves it; an older version than the one kept changes
        nothing. One statement for the batch (the newest version of a course in it), in course
        order, so concurrent batches take the row locks in the same order."""
        newest = newest_versions(events, key=lambda e: e.course_id, version=lambda e: e.version)
        self.execute(
            """INSERT INTO courses (course_id, provider_id, title, published, version)
               SELECT r.c, r.p, r.t, r.pub, r.v
               FROM jsonb_to_recordset(%(rows)s) AS r(c uuid, p uuid, t text, pub boolean, v integer)
               ORDER BY r.c
               ON CONFLICT (course_id) DO UPDATE SET title = EXCLUDED.title,
                   published = EXCLUDED.published, version = EXCLUDED.version
               WHERE courses.version < EXCLUDED.version""",
            {"rows": json_rows([{"c": e.course_id, "p": e.provider_id, "t": e.course.title, "pub": e.published,
                                 "v": e.version} for e in newest])},
        )

    def course(self, course_id) -> dict | None:
        return self.fetch_one("SELECT * FROM courses WHERE course_id = %(c)s", {"c": course_id})
