"""Every SQL statement of the catalogue."""
from __future__ import annotations

import uuid

from psycopg.types.json import Jsonb

from services.chassis.postgres import Store
from services.contracts.courses import Course

_COURSE_SELECT = """
    SELECT c.id, c.provider_id, c.external_id, c.version, c.status, c.data,
           c.created_at, c.updated_at, p.name AS provider_name
    FROM courses c JOIN providers p ON p.id = c.provider_id
"""


def _to_course(row: dict) -> Course:
    return Course.model_validate({
        **row["data"], "id": row["id"], "version": row["version"], "status": row["status"],
        "provider": {"id": row["provider_id"], "name": row["provider_name"]},
        "created_at": row["created_at"], "updated_at": row["updated_at"],
    })


class CatalogueStore(Store):
    # providers

    def insert_provider(self, provider_id: uuid.UUID, name: str, kind: str, website: str | None,
                        kvk_number: str | None, api_key_hash: str) -> None:
        self.execute(
            """INSERT INTO providers (id, name, kind, website, kvk_number, api_key_hash)
               VALUES (%(id)s, %(name)s, %(kind)s, %(website)s, %(kvk)s, %(hash)s)""",
            {"id": provider_id, "name": name, "kind": kind, "website": website, "kvk": kvk_number,
             "hash": api_key_hash},
        )

    def provider_by_key_hash(self, api_key_hash: str) -> dict | None:
        return self.fetch_one(
            "SELECT id, name, kind FROM providers WHERE api_key_hash = %(h)s", {"h": api_key_hash}
        )

    def list_providers(self) -> list[dict]:
        return self.fetch_all(
            "SELECT id, name, kind, website, kvk_number, created_at FROM providers ORDER BY created_at, id"
        )

    # courses

    def insert_course(self, course_id: uuid.UUID, provider_id: uuid.UUID, status: str, data: dict) -> Course:
        self.execute(
            """INSERT INTO courses (id, provider_id, external_id, version, status, data)
               VALUES (%(id)s, %(provider)s, %(external_id)s, 1, %(status)s, %(data)s)""",
            {"id": course_id, "provider": provider_id, "external_id": data["external_id"],
             "status": status, "data": Jsonb(data)},
        )
        return self.course(course_id)

    def course_id_by_external_id(self, provider_id: uuid.UUID, external_id: str) -> uuid.UUID | None:
        row = self.fetch_one(
            "SELECT id FROM courses WHERE provider_id = %(p)s AND external_id = %(e)s",
            {"p": provider_id, "e": external_id},
        )
        return row["id"] if row else None

    def course(self, course_id: uuid.UUID, for_update: bool = False) -> Course | None:
        row = self.fetch_one(
            _COURSE_SELECT + " WHERE c.id = %(id)s" + (" FOR UPDATE OF c" if for_update else ""),
            {"id": course_id},
        )
        return _to_course(row) if row else None

    def update_course(self, course_id: uuid.UUID, status: str, data: dict) -> Course:
        self.execute(
            """UPDATE courses SET status = %(status)s, data = %(data)s, external_id = %(external_id)s,
                   version = version + 1, updated_at = now()
               WHERE id = %(id)s""",
            {"id": course_id, "status": status, "data": Jsonb(data), "external_id": data["external_id"]},
        )
        return self.course(course_id)

    def provider_courses(self, provider_id: uuid.UUID, limit: int, offset: int) -> tuple[list[Course], int]:
        rows = self.fetch_all(
            _COURSE_SELECT + " WHERE c.provider_id = %(p)s ORDER BY c.created_at, c.id LIMIT %(l)s OFFSET %(o)s",
            {"p": provider_id, "l": limit, "o": offset},
        )
        total = self.fetch_one("SELECT count(*) AS n FROM courses WHERE provider_id = %(p)s", {"p": provider_id})
        return [_to_course(r) for r in rows], total["n"]

    def published_courses(self, after: uuid.UUID | None, limit: int) -> list[Course]:
        rows = self.fetch_all(
            _COURSE_SELECT + " WHERE c.status = 'published' AND (%(after)s::uuid IS NULL OR c.id > %(after)s)"
            " ORDER BY c.id LIMIT %(l)s",
            {"after": after, "l": limit},
        )
        return [_to_course(r) for r in rows]

    def record_history(self, course_id: uuid.UUID, version: int, action: str, actor: str,
                       changed: list[str]) -> None:
        self.execute(
            """INSERT INTO course_history (course_id, version, action, actor, changed)
               VALUES (%(c)s, %(v)s, %(a)s, %(actor)s, %(changed)s)""",
            {"c": course_id, "v": version, "a": action, "actor": actor, "changed": changed},
        )

    def history(self, course_id: uuid.UUID) -> list[dict]:
        return self.fetch_all(
            "SELECT version, action, actor, changed, at FROM course_history WHERE course_id = %(c)s ORDER BY id",
            {"c": course_id},
        )
