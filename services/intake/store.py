"""Every SQL statement of the intake service."""
from __future__ import annotations

from datetime import date, datetime, time

from psycopg.types.json import Jsonb

from services.chassis.postgres import Store, json_rows, newest_versions
from services.contracts.catalogue import CourseChangeWithPlaces
from services.intake.domain import PERSONAL_FIELDS, Calendar, Region

INTAKE_COLUMNS = """i.id::text, i.status, i.team, t.name AS team_name, t.phone AS team_phone, i.routed_by, i.situation,
    i.course_id::text, i.provider_id::text, c.title AS course_title, i.search_id, i.preferred_contact,
    i.language, i.share_with_provider, i.consent, i.name, i.email, i.phone, i.postcode, i.message,
    i.received_at, i.callback_due_by, i.due_soon_at, i.paused_until, i.updated_at, i.erased_at"""
INTAKE_FROM = "intakes i JOIN teams t ON t.code = i.team LEFT JOIN courses c ON c.course_id = i.course_id"
OPEN = "('new', 'in_progress')"


class IntakeStore(Store):
    CREDENTIAL_COLUMNS = (("advisors", "token_hash"), ("intakes", "token_hash"))

    # courses (from catalogue events)

    def remember_courses(self, events: list[CourseChangeWithPlaces], today: date | None = None) -> None:
        """Each course as the event leaves it, with the place of its next offering; an older
        version than the one kept changes nothing. One statement for the batch (the newest
        version of a course in it), in course order, so concurrent batches take the row locks in
        the same order."""
        newest = newest_versions(events, key=lambda e: e.course_id, version=lambda e: e.version)
        today = today or date.today()
        places = {e.course_id: e.course.next_place(today) for e in newest}
        self.execute(
            """INSERT INTO courses (course_id, provider_id, title, published, version, postcode, province)
               SELECT r.c, r.p, r.t, r.pub, r.v, r.pc, r.pr
               FROM jsonb_to_recordset(%(rows)s) AS r(c uuid, p uuid, t text, pub boolean, v integer, pc text, pr text)
               ORDER BY r.c
               ON CONFLICT (course_id) DO UPDATE SET title = EXCLUDED.title, published = EXCLUDED.published,
                   version = EXCLUDED.version, postcode = EXCLUDED.postcode, province = EXCLUDED.province
               WHERE courses.version < EXCLUDED.version""",
            {"rows": json_rows([{"c": e.course_id, "p": e.provider_id, "t": e.course.title, "pub": e.published,
                                 "v": e.version, "pc": places[e.course_id] and places[e.course_id].postcode,
                                 "pr": places[e.course_id] and places[e.course_id].province} for e in newest])},
        )

    def course(self, course_id) -> dict | None:
        return self.fetch_one("SELECT * FROM courses WHERE course_id = %(c)s", {"c": course_id})

    # teams and advisors

    def teams(self, lock: bool = False) -> list[dict]:
        """Every team; ``lock``: no other transaction adds one until this one ends (a new team's
        claim is checked against all the others)."""
        if lock:
            self.execute("LOCK TABLE teams IN SHARE ROW EXCLUSIVE MODE")
        return self.fetch_all("SELECT * FROM teams ORDER BY code = 'landelijk' DESC, code")

    def team(self, code: str) -> dict | None:
        return self.fetch_one("SELECT * FROM teams WHERE code = %(c)s", {"c": code})

    def insert_team(self, team: dict) -> None:
        self.execute(
            """INSERT INTO teams (code, name, provinces, postcode_ranges, email, phone, working_hours, opens, closes,
                   weekdays, closed_on_public_holidays, closed_on_good_friday, closed_on_liberation_day, closing_days)
               VALUES (%(code)s, %(name)s, %(provinces)s, %(postcode_ranges)s, %(email)s, %(phone)s, %(working_hours)s,
                   %(opens)s, %(closes)s, %(weekdays)s, %(closed_on_public_holidays)s, %(closed_on_good_friday)s,
                   %(closed_on_liberation_day)s, %(closing_days)s)""",
            {**team, "postcode_ranges": Jsonb([[int(low), int(high)] for low, high in team["postcode_ranges"]])})

    def insert_advisor(self, advisor_id, name: str, email: str, team: str, token_hash: str) -> None:
        self.execute("""INSERT INTO advisors (id, name, email, team, token_hash)
                        VALUES (%(id)s, %(name)s, %(email)s, %(team)s, %(hash)s)""",
                     {"id": advisor_id, "name": name, "email": email, "team": team, "hash": token_hash})

    def revoke_advisor(self, advisor_id) -> bool:
        return self.execute("UPDATE advisors SET revoked_at = now() WHERE id = %(id)s AND revoked_at IS NULL",
                            {"id": advisor_id}).rowcount == 1

    def advisor_by_token(self, token_hash: str) -> dict | None:
        return self.fetch_one("SELECT id::text, name, team FROM advisors WHERE token_hash = %(h)s AND revoked_at IS NULL",
                              {"h": token_hash})

    # submitting

    def recent_submissions(self, limits: list[tuple[str, int, datetime]]) -> dict[str, list[datetime]]:
        """Per (key hash, limit, since): the times of its newest ``limit`` submissions after
        ``since``, oldest first: all its limit's rule needs. (Every submission of the day cost a
        busy address a longer read at each request: bench-intake's one address, 19% of intake's CPU.)"""
        rows = self.fetch_all("""SELECT k.key_hash, t.at
                                 FROM unnest(%(k)s::text[], %(n)s::int[], %(since)s::timestamptz[]) AS k(key_hash, n, since)
                                 CROSS JOIN LATERAL (SELECT at FROM submissions s WHERE s.key_hash = k.key_hash
                                                     AND s.at > k.since ORDER BY at DESC LIMIT k.n) t
                                 ORDER BY t.at""",
                              {"k": [k for k, _, _ in limits], "n": [n for _, n, _ in limits],
                               "since": [since for _, _, since in limits]})
        found: dict[str, list[datetime]] = {}
        for row in rows:
            found.setdefault(row["key_hash"], []).append(row["at"])
        return found

    def record_submission(self, key_hashes: list[str]) -> None:
        self.execute("INSERT INTO submissions (key_hash) SELECT unnest(%(k)s::text[])", {"k": key_hashes})

    def forget_mail_tokens(self, before: datetime) -> int:
        """The person's token is kept only for the confirmation mail: gone once its time to be
        delivered (every retry) has passed."""
        return self.execute("UPDATE intakes SET mail_token = NULL WHERE mail_token IS NOT NULL AND received_at < %(before)s",
                            {"before": before}).rowcount

    def forget_old_submissions(self) -> int:
        """Counts older than any limit's window are of no use (the hourly purge drops them)."""
        return self.execute("DELETE FROM submissions WHERE at < now() - interval '2 days'").rowcount

    def insert_intake(self, intake: dict) -> bool:
        """False when an intake with this id exists (the same request again: nothing is written)."""
        inserted = self.execute(
            """INSERT INTO intakes (id, team, routed_by, situation, course_id, provider_id, search_id, preferred_contact,
                   language, share_with_provider, consent, token_hash, mail_token, body_hash, name, email, phone,
                   postcode, message, received_at, callback_due_by, due_soon_at)
               VALUES (%(id)s, %(team)s, %(routed_by)s, %(situation)s, %(course_id)s, %(provider_id)s, %(search_id)s,
                   %(preferred_contact)s, %(language)s, %(share_with_provider)s, %(consent)s, %(token_hash)s,
                   %(mail_token)s, %(body_hash)s, %(name)s, %(email)s, %(phone)s, %(postcode)s, %(message)s, %(received_at)s,
                   %(callback_due_by)s, %(due_soon_at)s)
               ON CONFLICT (id) DO NOTHING""",
            {**intake, "consent": Jsonb(intake["consent"])}).rowcount == 1
        if inserted:
            self.add_history(intake["id"], "submitted", "person")
        return inserted

    def same_request(self, email: str | None, phone: str | None, course_id, situation: str, since) -> dict | None:
        """The open request the same person (the same e-mail address or phone number) made since
        ``since`` for the same course (without a course: the same situation), if any."""
        if not email and not phone:
            return None
        return self.fetch_one(
            f"""SELECT {INTAKE_COLUMNS} FROM {INTAKE_FROM}
                WHERE i.received_at >= %(since)s AND i.erased_at IS NULL AND i.status <> 'closed'
                  AND ((%(email)s::text IS NOT NULL AND i.email = %(email)s) OR (%(phone)s::text IS NOT NULL AND i.phone = %(phone)s))
                  AND CASE WHEN %(course)s::uuid IS NULL THEN i.course_id IS NULL AND i.situation = %(situation)s
                           ELSE i.course_id = %(course)s::uuid END
                ORDER BY i.received_at DESC LIMIT 1""",
            {"email": email, "phone": phone, "course": course_id, "situation": situation, "since": since})

    # reading and changing one

    def intake(self, intake_id, for_update: bool = False) -> dict | None:
        return self.fetch_one(f"SELECT {INTAKE_COLUMNS}, i.token_hash, i.body_hash, i.mail_token FROM {INTAKE_FROM} "
                              "WHERE i.id = %(id)s"
                              + (" FOR UPDATE OF i" if for_update else ""), {"id": intake_id})

    def intakes(self, intake_ids: list) -> list[dict]:
        return self.fetch_all(f"SELECT {INTAKE_COLUMNS}, i.mail_token FROM {INTAKE_FROM} WHERE i.id = ANY(%(ids)s::uuid[])",
                              {"ids": intake_ids})

    def team_addresses(self, codes: list[str]) -> dict[str, list[str]]:
        """Where a team's mail goes: its own address, else each of its advisors' (each address
        once: two advisors sharing a mailbox get one mail)."""
        rows = self.fetch_all(
            """SELECT t.code, coalesce(array_remove(ARRAY[t.email], NULL)
                        || CASE WHEN t.email IS NULL
                                THEN array_agg(DISTINCT lower(a.email)) FILTER (WHERE a.id IS NOT NULL) END,
                        '{}') AS addresses
               FROM teams t LEFT JOIN advisors a ON a.team = t.code AND a.revoked_at IS NULL
               WHERE t.code = ANY(%(codes)s) GROUP BY t.code, t.email""", {"codes": codes})
        return {r["code"]: list(r["addresses"]) for r in rows}

    def history(self, intake_id, with_notes: bool) -> list[dict]:
        notes = "note" if with_notes else "NULL AS note"
        return self.fetch_all(f"SELECT type, at, actor, {notes} FROM intake_history WHERE intake_id = %(id)s ORDER BY id",
                              {"id": intake_id})

    def add_history(self, intake_id, step: str, actor: str, note: str | None = None) -> None:
        self.execute("INSERT INTO intake_history (intake_id, type, actor, note) VALUES (%(id)s, %(t)s, %(a)s, %(n)s)",
                     {"id": intake_id, "t": step, "a": actor, "n": note})

    def log_access_many(self, intake_ids: list, who: str, role: str, what: str) -> None:
        self.execute("""INSERT INTO access_log (intake_id, who, role, what)
                        SELECT unnest(%(ids)s::uuid[]), %(w)s, %(r)s, %(what)s""",
                     {"ids": intake_ids, "w": who, "r": role, "what": what})

    def log_access(self, intake_id, who: str, role: str, what: str) -> None:
        self.execute("INSERT INTO access_log (intake_id, who, role, what) VALUES (%(id)s, %(w)s, %(r)s, %(what)s)",
                     {"id": intake_id, "w": who, "r": role, "what": what})

    def access_log(self, intake_id) -> list[dict]:
        return self.fetch_all("SELECT who, role, at, what FROM access_log WHERE intake_id = %(id)s ORDER BY id",
                              {"id": intake_id})

    def set_status(self, intake_id, status: str, callback_due_by: datetime | None = None,
                   due_soon_at: datetime | None = None, paused_until: datetime | None = None) -> None:
        self.execute("""UPDATE intakes SET status = %(s)s, updated_at = now(),
                            callback_due_by = coalesce(%(due)s, callback_due_by),
                            due_soon_at = coalesce(%(soon)s, due_soon_at),
                            paused_until = %(paused)s
                        WHERE id = %(id)s""",
                     {"id": intake_id, "s": status, "due": callback_due_by, "soon": due_soon_at, "paused": paused_until})

    def erase(self, intake_ids: list) -> None:
        """Personal data gone (the request's facts stay for statistics): the contact fields,
        advisors' notes, and the token that could reach it."""
        self.execute(f"""UPDATE intakes SET {', '.join(f'{c} = NULL' for c in PERSONAL_FIELDS)}, erased_at = now(),
                             updated_at = now(), token_hash = 'erased:' || id::text,
                             mail_token = NULL
                         WHERE id = ANY(%(ids)s::uuid[])""", {"ids": intake_ids})
        self.execute("UPDATE intake_history SET note = NULL WHERE intake_id = ANY(%(ids)s::uuid[])", {"ids": intake_ids})

    # lists

    def list_intakes(self, team: str | None, status: str | None, overdue: bool, page: int, page_size: int,
                     now: datetime, actor: str | None = None, found: dict | None = None) -> tuple[list[dict], int]:
        """Overdue first, then by deadline; ``team`` None: every team (an admin). ``actor``: only
        those it recorded a step of; ``found`` (domain.worklist_search): only those whose name,
        phone number or reference match."""
        where = ["(%(team)s::text IS NULL OR i.team = %(team)s)", "(%(status)s::text IS NULL OR i.status = %(status)s)"]
        if overdue:
            where.append(f"i.status IN {OPEN} AND i.callback_due_by < %(now)s")
        if actor:
            where.append("EXISTS (SELECT 1 FROM intake_history h WHERE h.intake_id = i.id AND h.actor = %(actor)s)")
        if found:
            where.append("(i.name ILIKE %(name)s OR i.phone LIKE %(phone)s OR i.id::text LIKE %(id)s)")
        sql_where = " AND ".join(where)
        params = {"team": team, "status": status, "now": now, "limit": page_size, "offset": (page - 1) * page_size,
                  "actor": actor, **(found or {})}
        rows = self.fetch_all(
            f"""SELECT {INTAKE_COLUMNS}, (i.status IN {OPEN} AND i.callback_due_by < %(now)s) AS overdue
                FROM {INTAKE_FROM} WHERE {sql_where}
                ORDER BY (i.status IN {OPEN} AND i.callback_due_by < %(now)s) DESC, i.status IN {OPEN} DESC,
                         i.callback_due_by, i.id
                LIMIT %(limit)s OFFSET %(offset)s""", params)
        total = self.fetch_one(f"SELECT count(*) AS n FROM intakes i WHERE {sql_where}", params)["n"]
        return rows, total

    def provider_leads(self, provider_id, page: int, page_size: int) -> tuple[list[dict], int, int]:
        """The provider's shared leads (newest first), how many, and how many intakes about its
        courses came without that consent (a count is all it gets of those)."""
        params = {"p": provider_id, "limit": page_size, "offset": (page - 1) * page_size}
        rows = self.fetch_all(
            f"""SELECT i.id::text, i.course_id::text, c.title AS course_title, i.situation, i.status, i.received_at
                FROM {INTAKE_FROM} WHERE i.provider_id = %(p)s AND i.share_with_provider AND i.erased_at IS NULL
                ORDER BY i.received_at DESC, i.id LIMIT %(limit)s OFFSET %(offset)s""", params)
        counts = self.fetch_one(
            """SELECT count(*) FILTER (WHERE share_with_provider AND erased_at IS NULL) AS shared,
                      count(*) FILTER (WHERE NOT share_with_provider) AS unshared
               FROM intakes WHERE provider_id = %(p)s""", params)
        return rows, counts["shared"], counts["unshared"]

    # the timers

    def claim_warnings(self, kind: str, now: datetime, limit: int) -> list[dict]:
        """Open requests whose warning (``due_soon`` or ``overdue``) is due and not sent, locked
        for this transaction; rows another instance holds are skipped."""
        flag, moment = ("due_soon_sent", "due_soon_at") if kind == "due_soon" else ("overdue_sent", "callback_due_by")
        return self.fetch_all(
            f"""SELECT i.id, i.team, i.situation, i.course_id, i.provider_id, i.callback_due_by
                FROM intakes i
                WHERE i.status IN {OPEN} AND NOT i.{flag} AND i.{moment} <= %(now)s
                  AND (i.paused_until IS NULL OR i.paused_until <= %(now)s)
                ORDER BY i.{moment} LIMIT %(limit)s FOR UPDATE SKIP LOCKED""", {"now": now, "limit": limit})

    def mark_warned(self, kind: str, intake_ids: list) -> None:
        flag = "due_soon_sent" if kind == "due_soon" else "overdue_sent"
        self.execute(f"UPDATE intakes SET {flag} = true WHERE id = ANY(%(ids)s::uuid[])", {"ids": intake_ids})

    def claim_expired(self, before: datetime, limit: int) -> list[dict]:
        """Finished requests (enrolled or closed) last changed before ``before`` whose personal
        data is still there, locked for this transaction."""
        return self.fetch_all(
            """SELECT id, team, situation, course_id, provider_id FROM intakes
               WHERE erased_at IS NULL AND status IN ('enrolled', 'closed') AND updated_at < %(before)s
               ORDER BY updated_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED""", {"before": before, "limit": limit})


def region_of(row: dict) -> Region:
    return Region(row["code"], tuple(row["provinces"]), tuple((int(low), int(high)) for low, high in row["postcode_ranges"]))


def calendar_of(row: dict) -> Calendar:
    return Calendar(working_hours=float(row["working_hours"]), opens=row["opens"] or time(9), closes=row["closes"],
                    weekdays=frozenset(row["weekdays"]), closed_on_public_holidays=row["closed_on_public_holidays"],
                    closed_on_good_friday=row["closed_on_good_friday"],
                    closed_on_liberation_day=row["closed_on_liberation_day"], closing_days=frozenset(row["closing_days"]))
