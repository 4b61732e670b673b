"""Every SQL statement of the intake service."""
from __future__ import annotations

from services.chassis.postgres import Store


class IntakeStore(Store):
    def remember_course(self, course_id, provider_id, title: str, published: bool, version: int) -> None:
        self.execute(
            """INSERT INTO courses (course_id, provider_id, title, published, version)
               VALUES (%(c)s, %(p)s, %(t)s, %(pub)s, %(v)s)
               ON CONFLICT (course_id) DO UPDATE SET title = EXCLUDED.title,
                   published = EXCLUDED.published, version = EXCLUDED.version
               WHERE courses.version < EXCLUDED.version""",
            {"c": course_id, "p": provider_id, "t": title, "pub": published, "v": version},
        )

    def course(self, course_id) -> dict | None:
        return self.fetch_one("SELECT * FROM courses WHERE course_id = %(c)s", {"c": course_id})
