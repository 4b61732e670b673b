"""Every SQL statement of the analytics service."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from services.analytics.facts import DEMAND, FUNNEL
from services.chassis.postgres import Store, json_rows
from services.contracts.events import EventEnvelope


def counted(counts) -> str:
    """The demand rollup's counts as columns: each the sum of its fact's rows."""
    return ", ".join(f"coalesce(sum(n) FILTER (WHERE fact = '{c.fact}'), 0)::int AS {c.column}" for c in counts)


def day_of(column: str = "occurred_at") -> str:
    return f"({column} AT TIME ZONE 'Europe/Amsterdam')::date"


AMSTERDAM_DAY = day_of()
_MONTHS: set[date] = set()          # the archive's monthly partitions this process knows exist


def month_of(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


class AnalyticsStore(Store):
    CREDENTIAL_COLUMNS = (("analysts", "token_hash"),)

    # the archive

    def archive(self, envelopes: list[EventEnvelope]) -> None:
        """One statement for the batch (a statement per event cost more CPU than the events)."""
        self.ensure_months({month_of(e.occurred_at) for e in envelopes})
        self.execute(
            """INSERT INTO event_archive (event_id, source, event_type, schema_version, occurred_at, payload)
               SELECT r.id, r.source, r.type, r.v, r.at, r.payload
               FROM jsonb_to_recordset(%(rows)s) AS r(id uuid, source text, type text, v integer,
                    at timestamptz, payload jsonb)
               ORDER BY r.id
               ON CONFLICT (event_id, occurred_at) DO NOTHING""",
            {"rows": json_rows([{"id": e.event_id, "source": e.source, "type": e.event_type, "v": e.schema_version,
                                 "at": e.occurred_at, "payload": e.payload} for e in envelopes])},
        )

    def add_facts(self, rows: list[dict]) -> None:
        """The facts of a batch (facts.py), beside its archive rows; a fact already there stays."""
        if rows:
            self.execute(
                """INSERT INTO facts (event_id, fact, day, at, course_id, search_id, intake_id, sector, level,
                                      province, situation, query, kind, place, client, received_at)
                   SELECT f.event_id, f.fact, f.day, f.at, f.course_id, f.search_id, f.intake_id, f.sector, f.level,
                          f.province, f.situation, f.query, f.kind, f.place, f.client, coalesce(f.received_at, now())
                   FROM jsonb_to_recordset(%(rows)s) AS f(event_id uuid, fact text, day date, at timestamptz,
                        course_id uuid, search_id text, intake_id uuid, sector text, level text, province text,
                        situation text, query text, kind text, place text, client text, received_at timestamptz)
                   ORDER BY f.event_id, f.fact
                   ON CONFLICT (event_id, fact) DO NOTHING""", {"rows": json_rows(rows)})

    def facts_derived(self) -> bool:
        """Whether the facts of every archived event are there (an archive from before facts.py
        has none until they are derived from it)."""
        return self.fetch_one("SELECT derived_at FROM facts_state")["derived_at"] is not None

    def derived_facts(self) -> None:
        self.execute("UPDATE facts_state SET derived_at = now()")

    def archived_after(self, seq: int, limit: int, types: list[str]) -> list[dict]:
        """Archived events of these types after ``seq``, in order (facts derived from the archive)."""
        return self.fetch_all(
            """SELECT seq, event_id, event_type, occurred_at, received_at, payload FROM event_archive
               WHERE seq > %(seq)s AND event_type = ANY(%(types)s) ORDER BY seq LIMIT %(limit)s""",
            {"seq": seq, "limit": limit, "types": types})

    def ensure_months(self, months: set[date]) -> None:
        """A partition for each month (made once, by one process at a time; events of that month
        that went to the default partition meanwhile are moved into it)."""
        for month in sorted(months - _MONTHS):
            name = f"event_archive_{month:%Y_%m}"
            if self.fetch_one("SELECT to_regclass(%(n)s) AS r", {"n": name})["r"] is None:
                self.execute("SELECT pg_advisory_xact_lock(hashtext('analytics: archive partitions'))")
                if self.fetch_one("SELECT to_regclass(%(n)s) AS r", {"n": name})["r"] is None:
                    bounds = {"from": month, "to": next_month(month)}
                    self.execute("""CREATE TEMP TABLE moved ON COMMIT DROP AS SELECT * FROM event_archive_default
                                    WHERE occurred_at >= %(from)s AND occurred_at < %(to)s""", bounds)
                    self.execute("DELETE FROM event_archive_default WHERE occurred_at >= %(from)s AND occurred_at < %(to)s",
                                 bounds)
                    self.execute(f"CREATE TABLE {name} PARTITION OF event_archive "
                                 f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')")
                    self.execute("INSERT INTO event_archive SELECT * FROM moved")
                    self.execute("DROP TABLE moved")
            _MONTHS.add(month)

    def partitions(self) -> list[str]:
        return [r["name"] for r in self.fetch_all(
            """SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'event_archive'::regclass ORDER BY 1""")]

    def event_counts(self) -> dict[str, int]:
        rows = self.fetch_all("SELECT event_type, count(*) AS n FROM event_archive GROUP BY 1")
        return {r["event_type"]: r["n"] for r in rows}

    def events_about(self, key: str, value: str) -> list[dict]:
        return self.fetch_all(
            "SELECT event_id, event_type, payload FROM event_archive WHERE payload->>%(k)s = %(v)s ORDER BY occurred_at",
            {"k": key, "v": value},
        )

    def events_after(self, seq: int, limit: int, settled: datetime) -> list[dict]:
        """Archived events in the order they arrived, after ``seq`` (the event stream); only
        those stored before ``settled``, so a batch still committing is not skipped."""
        return self.fetch_all(
            """SELECT seq, event_id::text, source, event_type, occurred_at, payload FROM event_archive
               WHERE seq > %(seq)s AND received_at < %(settled)s ORDER BY seq LIMIT %(limit)s""",
            {"seq": seq, "limit": limit, "settled": settled})

    # the rollups: recomputed from the archive (live every few seconds, a replay all at once)

    def now(self) -> datetime:
        return self.fetch_one("SELECT now() AS now")["now"]

    def claim_rollups(self) -> tuple[bool, datetime | None]:
        """(claimed, since): one process at a time rolls up; since None: from the beginning."""
        row = self.fetch_one("SELECT until FROM rollup_state WHERE name = 'rollups' FOR UPDATE SKIP LOCKED")
        return (False, None) if row is None else (True, row["until"])

    def rolled_up(self, until: datetime) -> None:
        self.execute("UPDATE rollup_state SET until = %(until)s WHERE name = 'rollups'", {"until": until})

    def reset_rollups(self, facts_too: bool = False) -> None:
        """Every rollup emptied (and with ``facts_too`` the facts, derived again from the archive)."""
        self.execute("TRUNCATE demand_daily, zero_daily, funnel, offerings, courses")
        self.execute("UPDATE rollup_state SET until = NULL WHERE name = 'rollups'")
        if facts_too:
            self.execute("TRUNCATE facts")
            self.execute("UPDATE facts_state SET derived_at = NULL")

    def arrived_days(self, since: datetime | None) -> list[date]:
        """The days (Amsterdam) of the facts that arrived since ``since``."""
        window = "" if since is None else "WHERE received_at >= %(since)s"
        return [r["day"] for r in self.fetch_all(f"SELECT DISTINCT day FROM facts {window} ORDER BY 1",
                                                 {"since": since})]

    def apply_course_events(self, since: datetime | None) -> int:
        """Each course as its newest archived event left it: dimensions and open offerings. One
        statement, inside the database: during a bulk import the window holds tens of thousands
        of whole courses, which read into the process and sent back cost gigabytes of memory
        (bench/scale.py found 2 GiB). A course already at that version and those dimensions is
        left alone, so taking the window again every roll-up rewrites nothing. How many changed."""
        window = "" if since is None else "AND received_at >= %(since)s"
        return self.fetch_one(
            f"""WITH c AS (SELECT DISTINCT ON (payload->>'course_id') (payload->>'course_id')::uuid AS id,
                                 (payload->>'version')::int AS version, payload->'course' AS course
                          FROM event_archive
                          WHERE event_type IN ('course_published', 'course_updated', 'course_withdrawn') {window}
                          ORDER BY payload->>'course_id', (payload->>'version')::int DESC, occurred_at DESC),
                    d AS (SELECT id, version, course, course->>'status' = 'published' AS published,
                                 coalesce(course->'sectors'->>0, '-') AS sector, coalesce(course->>'level', '-') AS level,
                                 coalesce((SELECT o->'location'->>'province' FROM jsonb_array_elements(course->'offerings') o
                                           WHERE o->>'status' = 'open' AND o->'location'->>'province' IS NOT NULL
                                           ORDER BY o->>'start_date' LIMIT 1), '-') AS province
                          FROM c),
                    upserted AS (
                 INSERT INTO courses (course_id, version, published, sector, level, province)
                 SELECT id, version, published, sector, level, province FROM d ORDER BY id
                 ON CONFLICT (course_id) DO UPDATE SET version = EXCLUDED.version, published = EXCLUDED.published,
                     sector = EXCLUDED.sector, level = EXCLUDED.level, province = EXCLUDED.province
                 WHERE courses.version < EXCLUDED.version
                    OR (courses.version = EXCLUDED.version
                        AND (courses.published, courses.sector, courses.level, courses.province)
                            IS DISTINCT FROM (EXCLUDED.published, EXCLUDED.sector, EXCLUDED.level, EXCLUDED.province))
                 RETURNING course_id),
                    cleared AS (DELETE FROM offerings WHERE course_id IN (SELECT course_id FROM upserted)),
                    added AS (
                 INSERT INTO offerings (course_id, province, start_date)
                 SELECT d.id, coalesce(o->'location'->>'province', '-'), (o->>'start_date')::date
                 FROM d JOIN upserted u ON u.course_id = d.id, jsonb_array_elements(d.course->'offerings') o
                 WHERE o->>'status' = 'open' AND d.published)
               SELECT count(*)::int AS n FROM upserted""",
            {"since": since})["n"]

    def recompute_days(self, days: list[date]) -> None:
        """demand_daily and zero_daily of these days, from every fact of each day (all the days in
        one statement each): a fact about a course has the course's dimensions."""
        if not days:
            return
        params = {"days": days, "counted": [c.fact for c in DEMAND]}
        self.execute("DELETE FROM demand_daily WHERE day = ANY(%(days)s)", params)
        self.execute("DELETE FROM zero_daily WHERE day = ANY(%(days)s)", params)
        self.execute(
            """INSERT INTO demand_daily (day, sector, level, province, situation, fact, n)
               SELECT f.day, coalesce(f.sector, c.sector, '-'), coalesce(f.level, c.level, '-'),
                      coalesce(f.province, c.province, '-'), f.situation, f.fact, count(*)
               FROM facts f LEFT JOIN courses c ON c.course_id = f.course_id
               WHERE f.day = ANY(%(days)s) AND f.fact = ANY(%(counted)s)
               GROUP BY 1, 2, 3, 4, 5, 6""", params)
        self.execute(
            """INSERT INTO zero_daily (day, query, kind, province, sector, example, nearest_place, searches, clients)
               SELECT day, normalised_query(query), kind, province, sector, min(lower(query)), min(place), count(*),
                      coalesce(array_agg(DISTINCT client) FILTER (WHERE client IS NOT NULL), '{}')
               FROM facts WHERE day = ANY(%(days)s) AND fact = 'zero_result' AND coalesce(query, '') <> ''
               GROUP BY 1, 2, 3, 4, 5""", params)

    def analyse_facts(self) -> None:
        """The planner's statistics of the facts table, after many rows came at once."""
        self.execute("ANALYZE facts")

    def recompute_funnel(self, since: datetime | None, window_days: int) -> int:
        """The funnel rows (facts.FUNNEL: a search, its first view or click, its first intake,
        that intake's advice and enrolment, each within the window) of every search a step that
        arrived since ``since`` belongs to, as all the facts say (so a live run and a replay
        agree). ``since`` None: every search (a replay). Set-based: hash joins over each step."""
        search, viewed, asked, advised, enrolled = FUNNEL
        params = {"window": timedelta(days=window_days), "since": since, "search": list(search),
                  "viewed": list(viewed), "asked": list(asked), "advised": list(advised), "enrolled": list(enrolled),
                  "later": list(advised + enrolled), "led": list(viewed + asked)}
        if since is None:
            among = ""
        else:
            ids = [r["id"] for r in self.fetch_all(
                """SELECT DISTINCT search_id AS id FROM facts
                   WHERE fact = ANY(%(led)s) AND search_id IS NOT NULL AND received_at >= %(since)s
                   UNION
                   SELECT s.search_id FROM facts o JOIN facts s ON s.intake_id = o.intake_id AND s.fact = ANY(%(asked)s)
                   WHERE o.fact = ANY(%(later)s) AND o.received_at >= %(since)s AND s.search_id IS NOT NULL""",
                params)]
            if not ids:
                return 0
            params["ids"] = ids
            among = "AND search_id = ANY(%(ids)s)"
            self.execute("DELETE FROM funnel WHERE search_id = ANY(%(ids)s)", params)
        return self.execute(
            f"""WITH s AS (
                  SELECT search_id AS id, at, sector, province, situation FROM facts
                  WHERE fact = ANY(%(search)s) {among}),
                v AS (
                  SELECT search_id AS id, at FROM facts WHERE fact = ANY(%(viewed)s) AND search_id IS NOT NULL {among}),
                i AS (
                  SELECT search_id AS id, intake_id, at FROM facts
                  WHERE fact = ANY(%(asked)s) AND search_id IS NOT NULL {among}),
                first_view AS (
                  SELECT s.id, min(v.at) AS at FROM s JOIN v ON v.id = s.id
                  AND v.at BETWEEN s.at AND s.at + %(window)s GROUP BY s.id),
                first_intake AS (
                  SELECT DISTINCT ON (s.id) s.id, i.intake_id, i.at FROM s JOIN i ON i.id = s.id
                  AND i.at BETWEEN s.at AND s.at + %(window)s ORDER BY s.id, i.at),
                o AS (
                  SELECT intake_id, min(at) FILTER (WHERE fact = ANY(%(advised)s)) AS advised,
                         min(at) FILTER (WHERE fact = ANY(%(enrolled)s)) AS enrolled
                  FROM facts WHERE fact = ANY(%(later)s) AND intake_id IN (SELECT intake_id FROM first_intake)
                  GROUP BY 1)
                INSERT INTO funnel (search_id, day, sector, province, situation, searched_at, viewed_at, intake_id,
                                    intake_at, advised_at, enrolled_at)
                SELECT DISTINCT ON (s.id) s.id, {day_of('s.at')}, s.sector, s.province, s.situation, s.at, fv.at,
                       fi.intake_id, fi.at,
                       CASE WHEN o.advised <= s.at + %(window)s THEN o.advised END,
                       CASE WHEN o.enrolled <= s.at + %(window)s THEN o.enrolled END
                FROM s LEFT JOIN first_view fv ON fv.id = s.id LEFT JOIN first_intake fi ON fi.id = s.id
                     LEFT JOIN o ON o.intake_id = fi.intake_id
                WHERE fv.at IS NOT NULL OR fi.intake_id IS NOT NULL
                ORDER BY s.id, s.at
                ON CONFLICT (search_id) DO NOTHING""", params).rowcount

    # reports

    def demand(self, since: date, until: date, group_by: str, counts=DEMAND, province: str | None = None,
               sector: str | None = None) -> list[dict]:
        """``counts`` (facts.Count) per group of the demand rollup (a week, a month, or a column of
        it), of one province or sector if asked."""
        key = {"week": "to_char(date_trunc('week', day), 'IYYY-\"W\"IW')",
               "month": "to_char(date_trunc('month', day), 'YYYY-MM')"}.get(group_by, group_by)
        return self.fetch_all(
            f"""SELECT {key} AS key, {counted(counts)} FROM demand_daily
                WHERE day BETWEEN %(from)s AND %(to)s AND (%(province)s::text IS NULL OR province = %(province)s)
                  AND (%(sector)s::text IS NULL OR sector = %(sector)s) GROUP BY 1 ORDER BY 1""",
            {"from": since, "to": until, "province": province, "sector": sector})

    def zero_results(self, since: date, until: date, province: str | None, sector: str | None,
                     limit: int, min_searchers: int = 1) -> list[dict]:
        """The queries that found nothing, each searched by ``min_searchers`` different people at
        least (a query fewer searched is left out: its words may name someone)."""
        return self.fetch_all(
            """WITH z AS (
                   SELECT * FROM zero_daily
                   WHERE day BETWEEN %(from)s AND %(to)s AND (%(province)s::text IS NULL OR province = %(province)s)
                     AND (%(sector)s::text IS NULL OR sector = %(sector)s)),
               searchers AS (
                   SELECT query, kind, count(DISTINCT c) AS n FROM z, unnest(z.clients) c GROUP BY query, kind)
               SELECT z.query, z.kind, min(example) AS example, sum(searches)::int AS searches,
                      (array_agg(nearest_place ORDER BY searches DESC) FILTER (WHERE nearest_place IS NOT NULL))[1]
                          AS nearest_place,
                      array_agg(DISTINCT province ORDER BY province) AS provinces
               FROM z LEFT JOIN searchers s ON s.query = z.query AND s.kind = z.kind
               WHERE coalesce(s.n, 0) >= %(min)s
               GROUP BY z.query, z.kind ORDER BY sum(searches) DESC, z.query, z.kind LIMIT %(limit)s""",
            {"from": since, "to": until, "province": province, "sector": sector, "limit": limit,
             "min": min_searchers})

    def funnel(self, since: date, until: date, group_by: str | None) -> list[dict]:
        key = "'alle'" if group_by is None else group_by
        searches = self.fetch_all(
            f"""SELECT {key} AS key, {counted([c for c in DEMAND if c.column == "searches"])} FROM demand_daily
                WHERE day BETWEEN %(from)s AND %(to)s GROUP BY 1""", {"from": since, "to": until})
        steps = self.fetch_all(
            f"""SELECT {key} AS key, count(viewed_at)::int AS views, count(intake_at)::int AS intakes,
                       count(advised_at)::int AS advice, count(enrolled_at)::int AS enrolled,
                       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM viewed_at - searched_at))
                           AS search_to_view,
                       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM intake_at - searched_at))
                           AS search_to_intake,
                       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM advised_at - intake_at))
                           AS intake_to_advice,
                       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM enrolled_at - advised_at))
                           AS advice_to_enrolled
                FROM funnel WHERE day BETWEEN %(from)s AND %(to)s GROUP BY 1""", {"from": since, "to": until})
        by_key = {r["key"]: dict(r) for r in steps}
        return [{**{"views": 0, "intakes": 0, "advice": 0, "enrolled": 0}, **by_key.get(s["key"], {}), **s}
                for s in sorted(searches, key=lambda s: s["key"])]

    def supply_demand(self, since: date, until: date, today: date, group_by: str, demand: tuple,
                      every: tuple = ()) -> list[dict]:
        """The open offerings and courses beside the ``demand`` counts (facts.Count), per group;
        each of ``every`` key a row, even with nothing in it (a province without any is news)."""
        supply = self.fetch_all(
            f"""SELECT {'o.province' if group_by == 'province' else 'c.sector'} AS key, count(*)::int AS open_offerings,
                       count(DISTINCT o.course_id)::int AS courses
                FROM offerings o JOIN courses c USING (course_id)
                WHERE c.published AND o.start_date >= %(today)s GROUP BY 1""", {"today": today})
        asked = self.fetch_all(
            f"""SELECT {group_by} AS key, {counted(demand)}
                FROM demand_daily WHERE day BETWEEN %(from)s AND %(to)s GROUP BY 1""", {"from": since, "to": until})
        keys = sorted({r["key"] for r in supply} | {r["key"] for r in asked} | set(every))
        s, d = {r["key"]: r for r in supply}, {r["key"]: r for r in asked}
        return [{"key": k, "open_offerings": s.get(k, {}).get("open_offerings", 0),
                 "courses": s.get(k, {}).get("courses", 0), **{c.column: d.get(k, {}).get(c.column, 0) for c in demand}}
                for k in keys]

    def rollup_snapshot(self) -> dict:
        """Every rollup row (the replay test compares a live and a replayed platform)."""
        return {name: [dict(r) for r in self.fetch_all(f"SELECT * FROM {name} ORDER BY {order}")]
                for name, order in (("demand_daily", "1, 2, 3, 4, 5, 6"), ("zero_daily", "1, 2, 3, 4, 5"),
                                    ("funnel", "search_id"), ("courses", "course_id"),
                                    ("offerings", "course_id, province, start_date"))}

    # analysts

    def insert_analyst(self, analyst_id, name: str, email: str, token_hash: str) -> None:
        self.execute("INSERT INTO analysts (id, name, email, token_hash) VALUES (%(id)s, %(n)s, %(e)s, %(h)s)",
                     {"id": analyst_id, "n": name, "e": email, "h": token_hash})

    def revoke_analyst(self, analyst_id) -> bool:
        return self.execute("UPDATE analysts SET revoked_at = now() WHERE id = %(id)s AND revoked_at IS NULL",
                            {"id": analyst_id}).rowcount == 1

    def analyst_by_token(self, token_hash: str) -> dict | None:
        return self.fetch_one("SELECT id::text, name FROM analysts WHERE token_hash = %(h)s AND revoked_at IS NULL",
                              {"h": token_hash})
