"""Every SQL statement of the catalogue."""
from __future__ import annotations

import uuid

from psycopg.types.json import Jsonb

from services.chassis.postgres import Store, json_rows
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
    CREDENTIAL_COLUMNS = (("providers", "api_key_hash"),)

    # providers

    def insert_provider(self, provider_id: uuid.UUID, name: str, kind: str, website: str | None,
                        kvk_number: str | None, api_key_hash: str) -> None:
        self.execute(
            """INSERT INTO providers (id, name, kind, website, kvk_number, api_key_hash, key_made_by, key_made_at)
               VALUES (%(id)s, %(name)s, %(kind)s, %(website)s, %(kvk)s, %(hash)s, 'admin', now())""",
            {"id": provider_id, "name": name, "kind": kind, "website": website, "kvk": kvk_number,
             "hash": api_key_hash},
        )

    def set_api_key_hash(self, provider_id, api_key_hash: str | None, by: str) -> bool:
        cur = self.execute(
            """UPDATE providers SET api_key_hash = %(h)s, key_changed_at = now(), key_made_by = %(by)s,
                      key_made_at = now(), key_last_used_at = NULL
               WHERE id = %(id)s""",
            {"h": api_key_hash, "id": provider_id, "by": by},
        )
        return cur.rowcount == 1

    def key_used(self, api_key_hash: str) -> None:
        """The key's last use, written at most once a minute (a key may send hundreds a second)."""
        self.execute("""UPDATE providers SET key_last_used_at = now() WHERE api_key_hash = %(h)s
                        AND (key_last_used_at IS NULL OR key_last_used_at < now() - interval '1 minute')""",
                     {"h": api_key_hash})

    def api_key_of(self, provider_id) -> dict | None:
        return self.fetch_one("""SELECT api_key_hash IS NOT NULL AS active, key_made_by AS made_by, key_made_at AS made_at,
                                        key_last_used_at AS last_used_at
                                 FROM providers WHERE id = %(id)s""", {"id": provider_id})

    def provider_by_key_hash(self, api_key_hash: str) -> dict | None:
        return self.fetch_one(
            "SELECT id, name, kind FROM providers WHERE api_key_hash = %(h)s", {"h": api_key_hash}
        )

    def provider(self, provider_id) -> dict | None:
        return self.fetch_one("SELECT id, name, kind FROM providers WHERE id = %(id)s", {"id": provider_id})

    def list_providers(self) -> list[dict]:
        return self.fetch_all(
            """SELECT id, name, kind, website, kvk_number, created_at, key_made_by, key_made_at, key_last_used_at
               FROM providers ORDER BY created_at, id"""
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

    def lock_new_courses_of(self, provider_id) -> None:
        """One writer that may give a course of this provider an external_id at a time (an import
        batch, a create, a PUT), until commit: two of them would otherwise both find an
        external_id free, and the second would fail on the unique key. Taken before any course
        row, so that the writers lock in one order."""
        self.execute("SELECT pg_advisory_xact_lock(hashtext('catalogue: new courses'), hashtext(%(p)s::text))",
                     {"p": provider_id})

    def courses_by_external_ids(self, provider_id, external_ids: list[str]) -> dict[str, dict]:
        """The provider's courses with these external ids, locked until commit (in id order, as
        every writer takes them): the batch sets each one's next version from what it reads here,
        so a concurrent change of one of them (a PUT, a withdrawal) waits, and the version a
        batch writes is never written twice."""
        rows = self.fetch_all(
            """SELECT id, external_id, version, status, data, created_at FROM courses
               WHERE provider_id = %(p)s AND external_id = ANY(%(e)s) ORDER BY id FOR UPDATE""",
            {"p": provider_id, "e": external_ids},
        )
        return {r["external_id"]: r for r in rows}

    # Many rows in one statement each (bulk import): the rows travel as one JSON array and
    # jsonb_to_recordset reads them back; an executemany of a row each cost more CPU than the
    # validation of the courses.

    def insert_courses_many(self, rows: list[dict]) -> None:
        """rows: id, provider, external_id, version, status, data."""
        self.execute(
            """INSERT INTO courses (id, provider_id, external_id, version, status, data)
               SELECT r.id, r.provider, r.external_id, r.version, r.status, r.data
               FROM jsonb_to_recordset(%(rows)s) AS r(id uuid, provider uuid, external_id text,
                    version integer, status text, data jsonb)""",
            {"rows": json_rows(rows)})

    def update_courses_many(self, rows: list[dict]) -> None:
        """rows: id, version, status, data (the version is set, not bumped)."""
        self.execute(
            """UPDATE courses c SET version = r.version, status = r.status, data = r.data, updated_at = now()
               FROM jsonb_to_recordset(%(rows)s) AS r(id uuid, version integer, status text, data jsonb)
               WHERE c.id = r.id""",
            {"rows": json_rows(rows)})

    def mark_seen(self, import_id, course_ids: list) -> None:
        """A full sync's courses, whatever happened to them in it (new, changed, unchanged)."""
        self.execute("""INSERT INTO import_seen (import_id, course_id)
                        SELECT %(i)s, unnest(%(ids)s::uuid[]) ON CONFLICT DO NOTHING""",
                     {"i": import_id, "ids": course_ids})

    def record_history_many(self, rows: list[dict]) -> None:
        """rows: course_id, version, action, actor, changed."""
        self.execute(
            """INSERT INTO course_history (course_id, version, action, actor, changed)
               SELECT r.course_id, r.version, r.action, r.actor, r.changed
               FROM jsonb_to_recordset(%(rows)s) AS r(course_id uuid, version integer,
                    action text, actor text, changed text[])""",
            {"rows": json_rows(rows)})

    def published_not_seen(self, provider_id, import_id) -> list[Course]:
        """The provider's published courses this full sync did not contain, unless something
        changed them after it began (another import, a PUT, a new course): those are newer
        than the file, whose absence cannot speak for them."""
        rows = self.fetch_all(
            _COURSE_SELECT + """ WHERE c.provider_id = %(p)s AND c.status = 'published'
               AND c.updated_at < (SELECT started_at FROM imports WHERE id = %(i)s)
               AND NOT EXISTS (SELECT 1 FROM import_seen s WHERE s.import_id = %(i)s AND s.course_id = c.id)
               ORDER BY c.id FOR UPDATE OF c""",
            {"p": provider_id, "i": import_id},
        )
        return [_to_course(r) for r in rows]

    def provider_name(self, provider_id) -> str | None:
        row = self.fetch_one("SELECT name FROM providers WHERE id = %(id)s", {"id": provider_id})
        return row["name"] if row else None

    # imports

    def start_import(self, import_id, provider_id, fmt: str, mode: str, actor: str) -> None:
        self.execute(
            "INSERT INTO imports (id, provider_id, format, mode, actor) VALUES (%(id)s, %(p)s, %(f)s, %(m)s, %(a)s)",
            {"id": import_id, "p": provider_id, "f": fmt, "m": mode, "a": actor},
        )

    def lock_running_import(self, import_id, provider_id) -> dict | None:
        """This running import's mode, who started it and how many of its batches are stored, holding it until
        commit (batches are stored one at a time); None if there is no such running import."""
        return self.fetch_one(
            """SELECT batches, mode, actor FROM imports WHERE id = %(id)s AND provider_id = %(p)s AND status = 'running'
               FOR UPDATE""", {"id": import_id, "p": provider_id})

    def count_import(self, import_id, accepted: int, rejected: list[dict]) -> None:
        """A batch stored: its counts, and its rejected items while fewer than 1,000 are kept."""
        self.execute(
            """UPDATE imports SET accepted = accepted + %(a)s, rejected = rejected + %(r)s, batches = batches + 1,
                   touched_at = now(),
                   rejected_items = CASE WHEN jsonb_array_length(rejected_items) < 1000
                                         THEN rejected_items || %(items)s ELSE rejected_items END
               WHERE id = %(id)s""",
            {"a": accepted, "r": len(rejected), "items": Jsonb(rejected[:1000]), "id": import_id},
        )

    def touch_import(self, import_id, provider_id) -> bool:
        """Its gateway is still reading the body (even if no batch is complete yet); False if the
        import is no longer running."""
        return self.fetch_one(
            """UPDATE imports SET touched_at = now() WHERE id = %(id)s AND provider_id = %(p)s AND status = 'running'
               RETURNING id""", {"id": import_id, "p": provider_id}) is not None

    def finish_import(self, import_id, withdrawn: int, failure: str | None = None) -> None:
        """Finished, or failed and why."""
        self._close_imports([import_id], "finished" if failure is None else "failed", withdrawn, failure)

    def import_is_running(self, import_id) -> bool:
        return self.fetch_one("SELECT 1 FROM imports WHERE id = %(id)s AND status = 'running'",
                              {"id": import_id}) is not None

    def fail_running_import(self, import_id, failure: str) -> None:
        """Failed, and why, if it is still running (a full sync among them withdraws nothing)."""
        if self.import_is_running(import_id):
            self._close_imports([import_id], "failed", 0, failure)

    def fail_abandoned_imports(self, idle_seconds: float) -> list:
        """Mark failed the running imports that stored nothing for ``idle_seconds`` (a full sync
        among them withdraws nothing); their ids."""
        ids = [r["id"] for r in self.fetch_all(
            """SELECT id FROM imports WHERE status = 'running'
               AND touched_at < now() - make_interval(secs => %(s)s) FOR UPDATE""", {"s": idle_seconds})]
        self._close_imports(ids, "failed", 0, f"abandoned: nothing was stored and no word came from the gateway "
                                              f"reading it for {idle_seconds / 60:.0f} minutes")
        return ids

    def _close_imports(self, ids: list, status: str, withdrawn: int, failure: str | None = None) -> None:
        """An import ends (finished or failed, and why): its list of seen courses goes with it."""
        self.execute("DELETE FROM import_seen WHERE import_id = ANY(%(ids)s)", {"ids": ids})
        self.execute(
            """UPDATE imports SET status = %(s)s, withdrawn = %(w)s, failure = %(f)s, finished_at = now()
               WHERE id = ANY(%(ids)s)""",
            {"s": status, "w": withdrawn, "f": failure, "ids": ids},
        )

    def imports(self, provider_id, import_id=None, limit: int = 20) -> list[dict]:
        """The provider's latest imports; one of them (``import_id``) with its rejected items."""
        return self.fetch_all(
            """SELECT id, format, mode, status, accepted, rejected, withdrawn, failure, started_at, finished_at,
                      CASE WHEN %(i)s::uuid IS NOT NULL THEN rejected_items END AS rejected_items
               FROM imports WHERE provider_id = %(p)s AND (%(i)s::uuid IS NULL OR id = %(i)s)
               ORDER BY started_at DESC LIMIT %(l)s""",
            {"p": provider_id, "i": import_id, "l": limit},
        )

    # a provider's OOAPI endpoint and its syncs

    def put_ooapi_endpoint(self, provider_id, base_url: str, sealed: str | None, keep_authorization: bool,
                           schedule: str, higher_education: str, next_sync_at) -> None:
        self.execute(
            """INSERT INTO ooapi_endpoints (provider_id, base_url, authorization_sealed, schedule, higher_education,
                   next_sync_at)
               VALUES (%(p)s, %(u)s, %(a)s, %(s)s, %(h)s, %(n)s)
               ON CONFLICT (provider_id) DO UPDATE SET base_url = EXCLUDED.base_url,
                   authorization_sealed = CASE WHEN %(keep)s THEN ooapi_endpoints.authorization_sealed
                                               ELSE EXCLUDED.authorization_sealed END,
                   schedule = EXCLUDED.schedule, higher_education = EXCLUDED.higher_education,
                   next_sync_at = EXCLUDED.next_sync_at, updated_at = now()""",
            {"p": provider_id, "u": base_url, "a": sealed, "keep": keep_authorization, "s": schedule,
             "h": higher_education, "n": next_sync_at})

    def ooapi_endpoint(self, provider_id, for_update: bool = False) -> dict | None:
        return self.fetch_one("SELECT * FROM ooapi_endpoints WHERE provider_id = %(p)s"
                              + (" FOR UPDATE" if for_update else ""), {"p": provider_id})

    def delete_ooapi_endpoint(self, provider_id) -> bool:
        return self.execute("DELETE FROM ooapi_endpoints WHERE provider_id = %(p)s",
                            {"p": provider_id}).rowcount == 1

    def request_ooapi_sync(self, provider_id, import_id) -> None:
        """A sync asked for now, as import ``import_id``."""
        self.execute("UPDATE ooapi_endpoints SET requested_import = %(i)s WHERE provider_id = %(p)s",
                     {"p": provider_id, "i": import_id})

    def claim_ooapi_sync(self, lease_seconds: float) -> dict | None:
        """One endpoint whose sync is due (asked for, or its scheduled time has come) that no live
        process holds, held now for ``lease_seconds``; its row as it was (``running_import`` of a
        process that stopped mid-sync)."""
        return self.fetch_one(
            """WITH due AS (SELECT provider_id FROM ooapi_endpoints
                            WHERE (requested_import IS NOT NULL OR next_sync_at <= now() OR running_import IS NOT NULL)
                              AND (lease_until IS NULL OR lease_until < now())
                            ORDER BY coalesce(next_sync_at, now()) LIMIT 1 FOR UPDATE SKIP LOCKED),
                    old AS (SELECT e.* FROM ooapi_endpoints e JOIN due USING (provider_id))
               UPDATE ooapi_endpoints e SET lease_until = now() + make_interval(secs => %(l)s)
               FROM old WHERE e.provider_id = old.provider_id RETURNING old.*""", {"l": lease_seconds})

    def begin_ooapi_sync(self, provider_id, import_id) -> None:
        self.execute("""UPDATE ooapi_endpoints SET running_import = %(i)s, requested_import = NULL
                        WHERE provider_id = %(p)s""", {"p": provider_id, "i": import_id})

    def extend_ooapi_lease(self, provider_id, import_id, lease_seconds: float) -> bool:
        """Still ours (False: the endpoint was removed, or the lease lapsed and another took it)."""
        return self.fetch_one(
            """UPDATE ooapi_endpoints SET lease_until = now() + make_interval(secs => %(l)s)
               WHERE provider_id = %(p)s AND running_import = %(i)s RETURNING provider_id""",
            {"p": provider_id, "i": import_id, "l": lease_seconds}) is not None

    def end_ooapi_sync(self, provider_id, import_id, next_sync_at) -> None:
        self.execute(
            """UPDATE ooapi_endpoints SET running_import = NULL, lease_until = NULL, last_import = %(i)s,
                   next_sync_at = %(n)s
               WHERE provider_id = %(p)s AND running_import = %(i)s""",
            {"p": provider_id, "i": import_id, "n": next_sync_at})

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

    def provider_courses(self, provider_id: uuid.UUID, limit: int, offset: int, status: str | None = None,
                         external_id: str | None = None) -> tuple[list[Course], int]:
        """A page of a provider's courses (of one status, with one external_id), and how many there are."""
        where = ("c.provider_id = %(p)s AND (%(s)s::text IS NULL OR c.status = %(s)s)"
                 " AND (%(e)s::text IS NULL OR c.external_id = %(e)s)")
        params = {"p": provider_id, "s": status, "e": external_id, "l": limit, "o": offset}
        rows = self.fetch_all(_COURSE_SELECT + f" WHERE {where} ORDER BY c.created_at, c.id LIMIT %(l)s OFFSET %(o)s",
                              params)
        total = self.fetch_one(f"SELECT count(*) AS n FROM courses c WHERE {where}", params)
        return [_to_course(r) for r in rows], total["n"]

    def course_versions(self, after, limit: int) -> list[dict]:
        return self.fetch_all(
            """SELECT id::text AS course_id, version, status FROM courses
               WHERE %(after)s::uuid IS NULL OR id > %(after)s::uuid ORDER BY id LIMIT %(l)s""",
            {"after": after, "l": limit})

    def published_courses(self, after: uuid.UUID | None, limit: int) -> list[Course]:
        rows = self.fetch_all(
            _COURSE_SELECT + " WHERE c.status = 'published' AND (%(after)s::uuid IS NULL OR c.id > %(after)s)"
            " ORDER BY c.id LIMIT %(l)s",
            {"after": after, "l": limit},
        )
        return [_to_course(r) for r in rows]

    def delete_course(self, course_id: uuid.UUID) -> None:
        """A draft and its history gone: it was never public, so no one was told of it."""
        self.execute("DELETE FROM course_history WHERE course_id = %(id)s", {"id": course_id})
        self.execute("DELETE FROM courses WHERE id = %(id)s AND status = 'draft'", {"id": course_id})

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

    # funding schemes

    def insert_funding_scheme(self, code: str, data: dict, published_by: str) -> bool:
        cur = self.execute(
            """INSERT INTO funding_schemes (code, data, valid_from, valid_until, published_by)
               VALUES (%(code)s, %(data)s, %(from)s, %(until)s, %(by)s) ON CONFLICT (code) DO NOTHING""",
            {"code": code, "data": Jsonb(data), "from": data["valid_from"], "until": data["valid_until"],
             "by": published_by},
        )
        return cur.rowcount == 1

    def funding_schemes_valid_on(self, day) -> list[dict]:
        """The schemes valid on ``day`` (None: every scheme): their data and version."""
        return self.fetch_all(
            """SELECT data, version FROM funding_schemes
               WHERE %(d)s::date IS NULL OR (valid_from <= %(d)s AND (valid_until IS NULL OR valid_until >= %(d)s))
               ORDER BY code""",
            {"d": day},
        )

    def funding_scheme(self, code: str, for_update: bool = False) -> dict | None:
        return self.fetch_one(
            "SELECT data, version, published_by FROM funding_schemes WHERE code = %(c)s"
            + (" FOR UPDATE" if for_update else ""), {"c": code})

    def update_funding_scheme(self, code: str, data: dict) -> int:
        """Store a scheme's new data; its new version."""
        return self.fetch_one(
            """UPDATE funding_schemes SET data = %(data)s, valid_from = %(from)s, valid_until = %(until)s,
                   version = version + 1, updated_at = now()
               WHERE code = %(code)s RETURNING version""",
            {"code": code, "data": Jsonb(data), "from": data["valid_from"], "until": data["valid_until"]},
        )["version"]

    def unknown_funding_codes(self, codes: list[str]) -> list[str]:
        if not codes:
            return []
        known = {r["code"] for r in self.fetch_all(
            "SELECT code FROM funding_schemes WHERE code = ANY(%(c)s)", {"c": list(codes)})}
        return [c for c in codes if c not in known]
