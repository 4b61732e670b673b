"""Every SQL statement of the search read model (the ``postgres`` backend)."""
from __future__ import annotations

import math
from datetime import date
from typing import get_args

from psycopg import sql
from psycopg.types.json import Jsonb

from services.chassis.postgres import Store
from services.contracts.courses import Level, Mode, Province, Sector, Situation
from services.contracts.rpc import SearchRequest
from services.search.analysis import QueryPlan

TSV = """setweight(to_tsvector('sa_dutch', %(title)s), 'A')
      || setweight(to_tsvector('sa_dutch', array_to_string(%(keywords)s::text[], ' ')), 'B')
      || setweight(to_tsvector('sa_dutch', %(description)s), 'C')
      || setweight(to_tsvector('sa_dutch', %(compounds)s), 'D')"""

# Relevance: Dutch full-text rank (title > keywords > description > compound parts), plus a
# bonus when every word is in the title and when the words stand together as typed; courses
# marked for the searcher's situation count half as much again.
TEXT_RANK = """ts_rank_cd('{0.05, 0.2, 0.5, 1.0}', d.tsv, query.tsq, 1)
        + CASE WHEN d.title_tsv @@ query.tsq THEN 1.0 ELSE 0 END
        + CASE WHEN query.phrase IS NOT NULL AND d.tsv @@ query.phrase THEN 0.5 ELSE 0 END"""
BOOST = "CASE WHEN %(situation)s::text = ANY(f.situations) THEN 1.5 ELSE 1 END"

ORDER = {
    "relevance": "{p}rank DESC, {p}title, {p}course_id",
    "start_date": "{p}next_start NULLS LAST, {p}title, {p}course_id",
    "price": "{p}min_price NULLS LAST, {p}title, {p}course_id",
    "distance": "{p}distance_km NULLS LAST, {p}title, {p}course_id",
}
HIT = "level_ok AND sector_ok AND offer_ok"   # a candidate that passes every filter
KM = "km_between(%(lat)s, %(lon)s, o.lat, o.lon)"

# Facet values and their bit in the `*_bits` columns of `facts`: the contract's order. A value
# added at the end needs nothing; any other change of these lists needs ANALYSIS_VERSION bumped
# (documents.py), which rebuilds the read model.
UNIVERSES = {"level": get_args(Level), "sector": get_args(Sector), "situation": get_args(Situation),
             "mode": get_args(Mode), "province": get_args(Province)}
UNIVERSE_PARAMS = {f"u_{name}": list(values) for name, values in UNIVERSES.items()}


def mask(facet: str, values: list[str]) -> int:
    return sum(1 << UNIVERSES[facet].index(v) for v in values)


class SearchSql:
    """The SQL of one search request, with only its active filters (so the planner sees
    plain conditions). Offering filters (API.md) hold for one and the same offering; an online
    offering has no place, so it never matches `near` or `province`. A facet leaves its own
    filter out, so its counts follow every other active filter."""

    def __init__(self, req: SearchRequest, plan: QueryPlan | None, today: date, point):
        self.req, self.plan, self.point = req, plan, point
        self.offering_filters = bool(req.start_from or req.start_to or req.max_price is not None or req.mode
                                     or req.province or point)
        self.params = {
            "today": today, "start_from": req.start_from, "start_to": req.start_to, "max_price": req.max_price,
            "modes": req.mode, "provinces": req.province,
            "lat": point and point[0], "lon": point and point[1], "radius": req.radius_km,
            # a box around the circle: the index on (lat, lon) finds the candidates
            "dlat": req.radius_km / 111.0,
            "dlon": req.radius_km / (111.0 * max(0.1, math.cos(math.radians(point[0])))) if point else None,
            "funding": req.funding, "situation": req.situation,
            "limit": req.page_size, "offset": (req.page - 1) * req.page_size,
            "level_mask": mask("level", req.level), "sector_mask": mask("sector", req.sector),
        }

    def offering_conditions(self) -> list[str]:
        """Every offering filter but mode and province (those become flags, so their facets
        can leave their own filter out)."""
        req, conditions = self.req, ["o.start_date >= %(today)s", "o.status = 'open'"]
        if req.start_from:
            conditions.append("o.start_date >= %(start_from)s")
        if req.start_to:
            conditions.append("o.start_date <= %(start_to)s")
        if req.max_price is not None:
            conditions.append("o.price <= %(max_price)s")
        if self.point:
            conditions.append("o.lat BETWEEN %(lat)s - %(dlat)s AND %(lat)s + %(dlat)s")
            conditions.append("o.lon BETWEEN %(lon)s - %(dlon)s AND %(lon)s + %(dlon)s")
            conditions.append(f"{KM} <= %(radius)s")
        return conditions

    def course_conditions(self) -> list[str]:
        """Conditions on the course that every facet keeps (level and sector are flags instead)."""
        conditions = ["f.published", "f.last_start >= %(today)s"]
        if self.req.funding:
            conditions.append("%(funding)s = ANY(f.funding)")
        return conditions

    def flags(self) -> dict[str, str]:
        """The filters a facet may leave out, as a column per course: name -> condition."""
        return {
            "level": "f.level_bits & %(level_mask)s <> 0" if self.req.level else "true",
            "sector": "f.sector_bits & %(sector_mask)s <> 0" if self.req.sector else "true",
        }

    def source(self) -> str:
        """The narrow per-course facts, joined with the text matches and the matching offerings."""
        joins = ["facts f"]
        if self.plan is not None:
            joins.append("JOIN text t ON t.course_id = f.course_id")
        if self.offering_filters:
            joins.append("JOIN matching m ON m.course_id = f.course_id")
        return " ".join(joins)

    def statement(self) -> sql.Composable:
        """One statement answers the whole search: the candidates (every filter but level and
        sector, which become flags) are computed once; the page, the total and every facet
        are read from them. Only the page's hits touch the wide documents."""
        tsq, phrase = tsquery(self.plan)
        ctes = [sql.SQL("query AS (SELECT {} AS tsq, {} AS phrase)").format(tsq, phrase)]
        if self.plan is not None:   # the wide documents are read only for text matches
            ctes.append(sql.SQL("text AS MATERIALIZED (SELECT d.course_id, " + TEXT_RANK + " AS rank "
                                "FROM documents d, query WHERE d.tsv @@ query.tsq)"))
        if self.offering_filters:
            # per course, from its offerings that pass every offering filter but mode and
            # province (read once): whether one passes those two as well, its figures, and the
            # modes (provinces) of the offerings that pass the province (mode) filter, for
            # the facets that leave their own filter out
            km = KM if self.point else "NULL::float8"
            mode_ok = "o.mode = ANY(%(modes)s)" if self.req.mode else "true"
            province_ok = "o.province = ANY(%(provinces)s)" if self.req.province else "true"
            both = f"{mode_ok} AND {province_ok}"
            ctes.append(sql.SQL(
                f"matching AS MATERIALIZED (SELECT o.course_id, bool_or({both}) AS offer_ok, "
                f"min(o.start_date) FILTER (WHERE {both}) AS next_start, "
                f"min(o.price) FILTER (WHERE {both}) AS min_price, "
                f"min({km}) FILTER (WHERE {both}) AS distance_km, "
                f"coalesce(bit_or(1 << (array_position(%(u_mode)s, o.mode) - 1)) FILTER (WHERE {province_ok}), 0) "
                f"AS mode_bits, "
                f"coalesce(bit_or(1 << (array_position(%(u_province)s, o.province) - 1)) FILTER (WHERE {mode_ok}), 0) "
                f"AS province_bits FROM offerings o WHERE " + " AND ".join(self.offering_conditions())
                + " GROUP BY o.course_id)"))
        figures = ("m.next_start, m.min_price, m.distance_km, m.mode_bits, m.province_bits, m.offer_ok"
                   if self.offering_filters else
                   "f.next_start, f.min_price, NULL::float8 AS distance_km, f.mode_bits, f.province_bits, "
                   "true AS offer_ok")
        rank = f"({'t.rank' if self.plan is not None else '0'} + 0.01) * {BOOST}"
        flags = self.flags()
        ctes.append(sql.SQL(
            "base AS MATERIALIZED (SELECT f.course_id, f.title, "
            "f.level_bits, f.sector_bits, f.situation_bits, " + rank + " AS rank, " + figures + ", "
            + ", ".join(f"{cond} AS {name}_ok" for name, cond in flags.items())
            + " FROM " + self.source() + " WHERE " + " AND ".join(self.course_conditions()) + ")"))
        order = ORDER[self.req.sort]
        ctes.append(sql.SQL(
            "page AS (SELECT * FROM base WHERE " + HIT + " ORDER BY " + order.format(p="")
            + " LIMIT %(limit)s OFFSET %(offset)s)"))
        hits = (
            "SELECT p.course_id, p.title, f.level, f.sectors, f.situations, f.funding, p.rank, p.distance_km, "
            "p.next_start, p.min_price, "
            "d.provider_id, d.provider_name, d.credential, d.offerings, "
            "CASE WHEN query.tsq IS NULL THEN left(d.description, 200) "
            "ELSE ts_headline('sa_dutch', d.title || ' — ' || d.description, query.tsq, "
            "'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2') END AS snippet, "
            "row_number() OVER (ORDER BY " + order.format(p="p.") + ") AS position "
            "FROM page p JOIN facts f ON f.course_id = p.course_id JOIN documents d ON d.course_id = p.course_id, query")
        return sql.SQL("WITH ") + sql.SQL(", ").join(ctes) + sql.SQL(
            " SELECT (SELECT count(*) FROM base WHERE " + HIT + ") AS total, "
            "(SELECT coalesce(json_agg(h ORDER BY h.position), '[]') FROM (" + hits + ") h) AS hits, "
            "(" + self.facet_counts() + ") AS facets")

    def facet_counts(self) -> str:
        """Every facet value counted in one pass over the candidates: a JSON object of facet ->
        counts in the order of UNIVERSES. A facet leaves its own filter out (for mode and
        province the candidates' bit sets already come from the offerings that pass the others)."""
        keep = {"level": "sector_ok AND offer_ok", "sector": "level_ok AND offer_ok", "situation": HIT,
                "mode": "level_ok AND sector_ok", "province": "level_ok AND sector_ok"}
        arrays = []
        for name, values in UNIVERSES.items():
            counts = ", ".join(f"count(*) FILTER (WHERE {keep[name]} AND {name}_bits & {1 << i} <> 0)"
                               for i in range(len(values)))
            arrays.append(f"'{name}', json_build_array({counts})")
        return f"SELECT json_build_object({', '.join(arrays)}) FROM base"


def tsquery(plan: QueryPlan | None) -> tuple[sql.Composable, sql.Composable]:
    """The plan as tsquery expressions: every group must match, any alternative of a group
    (each a phrase, stemmed by PostgreSQL); and the typed words as one phrase."""
    if plan is None or not plan.groups:
        return sql.SQL("NULL::tsquery"), sql.SQL("NULL::tsquery")
    groups = [
        sql.SQL("(") + sql.SQL(" || ").join(
            sql.SQL("phraseto_tsquery('sa_dutch', {})").format(sql.Literal(a)) for a in g.alternatives
        ) + sql.SQL(")")
        for g in plan.groups
    ]
    phrase = (sql.SQL("phraseto_tsquery('sa_dutch', {})").format(sql.Literal(" ".join(plan.words)))
              if len(plan.groups) > 1 else sql.SQL("NULL::tsquery"))
    return sql.SQL(" && ").join(groups), phrase


# Per course, from its offerings still ahead: what facets and sorting read without a join.
OFFERINGS_AHEAD = """SELECT min(o.start_date) AS next_start, min(o.price) AS min_price,
               array_agg(DISTINCT o.mode) AS modes,
               array_agg(DISTINCT o.province) FILTER (WHERE o.province IS NOT NULL) AS provinces
        FROM offerings o"""
AHEAD = """UPDATE facts f SET
        next_start = a.next_start, min_price = a.min_price,
        mode_bits = bits(a.modes, %(u_mode)s), province_bits = bits(a.provinces, %(u_province)s)
    FROM facts x LEFT JOIN LATERAL (""" + OFFERINGS_AHEAD + """
        WHERE o.course_id = x.course_id AND o.start_date >= current_date) a ON true
    WHERE x.course_id = f.course_id AND"""


class SearchStore(Store):
    def __init__(self, conn):
        super().__init__(conn)
        self.changed = False   # this transaction changed what a search can answer

    def before_commit(self) -> None:
        # last, so a row lock is held only for the moment of the commit; one of 16 rows, so
        # concurrent writers (another connection, mostly another slot) seldom wait at all
        if self.changed:
            self.execute("UPDATE read_model SET generation = generation + 1 WHERE slot = pg_backend_pid() % 16")

    def generation(self) -> int:
        """Grows with every committed change of the read model (a cached answer of an older
        generation may be out of date)."""
        return self.fetch_one("SELECT sum(generation)::bigint AS generation FROM read_model")["generation"]

    def upsert_many(self, docs: list[dict]) -> int:
        """Store each document unless a newer version is already there (or the same version
        built with the same analysis), in the order given; then the words of those stored, in
        one statement. How many were stored."""
        stored = [doc for doc in docs if self._upsert(doc)]
        if stored:
            # One writer of the vocabulary at a time (until commit, which follows right after):
            # concurrent batches of new words deadlocked on the unique index even in sorted order.
            self.execute("SELECT pg_advisory_xact_lock(hashtext('search.terms'))")
            self.execute("""INSERT INTO terms (term, suggest)
                            SELECT t, bool_or(s) FROM (
                                SELECT t, false AS s FROM unnest(%(terms)s::text[]) t
                                UNION ALL SELECT t, true FROM unnest(%(suggest_terms)s::text[]) t) w
                            GROUP BY t ORDER BY t
                            ON CONFLICT (term) DO UPDATE SET suggest = true
                            WHERE EXCLUDED.suggest AND NOT terms.suggest""",
                         {"terms": [t for doc in stored for t in doc["terms"]],
                          "suggest_terms": [t for doc in stored for t in doc["suggest_terms"]]})
        return len(stored)

    def _upsert(self, doc: dict) -> bool:
        params = {**doc, "offerings": Jsonb(doc["offerings"])}
        cur = self.execute(
            sql.SQL("""
            INSERT INTO documents (course_id, version, provider_id, provider_name, title, description,
                keywords, credential, offerings, compounds, analysis, tsv, title_tsv)
            VALUES (%(course_id)s, %(version)s, %(provider_id)s, %(provider_name)s, %(title)s,
                %(description)s, %(keywords)s, %(credential)s, %(offerings)s, %(compounds)s, %(analysis)s,
                {tsv}, to_tsvector('sa_dutch', %(title)s))
            ON CONFLICT (course_id) DO UPDATE SET
                version = EXCLUDED.version, provider_id = EXCLUDED.provider_id,
                provider_name = EXCLUDED.provider_name, title = EXCLUDED.title,
                description = EXCLUDED.description, keywords = EXCLUDED.keywords,
                credential = EXCLUDED.credential, offerings = EXCLUDED.offerings,
                compounds = EXCLUDED.compounds, analysis = EXCLUDED.analysis, tsv = EXCLUDED.tsv,
                title_tsv = EXCLUDED.title_tsv, updated_at = now()
            WHERE documents.version < EXCLUDED.version
               OR (documents.version = EXCLUDED.version AND documents.analysis <> EXCLUDED.analysis)
            """).format(tsv=sql.SQL(TSV)),
            params,
        )
        if cur.rowcount != 1:
            return False
        self.changed = True
        self.execute("DELETE FROM offerings WHERE course_id = %(course_id)s", doc)
        with self.conn.cursor() as rows:
            rows.executemany(
                """INSERT INTO offerings (course_id, external_id, start_date, status, mode, province, lat, lon, price)
                   VALUES (%(course_id)s, %(external_id)s, %(start_date)s, %(status)s, %(mode)s, %(province)s,
                           %(lat)s, %(lon)s, %(price_eur)s)""",
                [{**o, "course_id": doc["course_id"]} for o in doc["offerings"]])
        self.execute(
            """INSERT INTO facts (course_id, published, title, level, sectors, situations, funding, last_start,
                   next_start, min_price, level_bits, sector_bits, situation_bits, mode_bits, province_bits)
               SELECT %(course_id)s, %(published)s, %(title)s, %(level)s, %(sectors)s, %(situations)s,
                      %(funding)s, %(last_start)s, a.next_start, a.min_price, bits(ARRAY[%(level)s], %(u_level)s), bits(%(sectors)s, %(u_sector)s),
                      bits(%(situations)s, %(u_situation)s), bits(a.modes, %(u_mode)s),
                      bits(a.provinces, %(u_province)s)
               FROM (""" + OFFERINGS_AHEAD + """ WHERE o.course_id = %(course_id)s AND o.start_date >= current_date) a
               ON CONFLICT (course_id) DO UPDATE SET published = EXCLUDED.published, title = EXCLUDED.title,
                   level = EXCLUDED.level, sectors = EXCLUDED.sectors, situations = EXCLUDED.situations,
                   funding = EXCLUDED.funding, last_start = EXCLUDED.last_start,
                   next_start = EXCLUDED.next_start, min_price = EXCLUDED.min_price,
                   level_bits = EXCLUDED.level_bits, sector_bits = EXCLUDED.sector_bits,
                   situation_bits = EXCLUDED.situation_bits, mode_bits = EXCLUDED.mode_bits,
                   province_bits = EXCLUDED.province_bits""", {**doc, **UNIVERSE_PARAMS})
        self.execute("DELETE FROM document_terms WHERE course_id = %(course_id)s", doc)
        self.execute("""INSERT INTO document_terms (course_id, term)
                        SELECT %(course_id)s, t FROM unnest(%(suggest_terms)s::text[]) t""", doc)
        return True

    def refresh_started(self) -> int:
        """Courses with an offering that has started since: their figures (next start, lowest
        price, modes and provinces still ahead) follow the offerings still ahead."""
        changed = self.execute(AHEAD + " f.next_start < current_date", UNIVERSE_PARAMS).rowcount
        self.changed = self.changed or changed > 0
        return changed

    def unpublish_missing(self, seen: list, rebuilt_since) -> int:
        """After a rebuild: hide documents the catalogue no longer publishes (a missed withdrawal),
        unless an event changed them while the rebuild ran."""
        cur = self.execute(
            """UPDATE facts f SET published = false FROM documents d
               WHERE d.course_id = f.course_id AND f.published AND NOT (f.course_id = ANY(%(seen)s))
                 AND d.updated_at < %(since)s""",
            {"seen": seen, "since": rebuilt_since},
        )
        self.changed = self.changed or cur.rowcount > 0
        return cur.rowcount

    def count_documents(self) -> int:
        return self.fetch_one("SELECT count(*) AS n FROM documents")["n"]

    def outdated_documents(self, analysis: str) -> int:
        return self.fetch_one("SELECT count(*) AS n FROM documents WHERE analysis <> %s", (analysis,))["n"]

    def corrections(self, words: list[str]) -> dict[str, list[str]]:
        """Typo candidates for words that no indexed text contains: known words within one
        letter (two for words of 9 letters or more), the closest first."""
        if not words:
            return {}
        self.execute("SET LOCAL pg_trgm.similarity_threshold = 0.3")
        rows = self.fetch_all(
            """SELECT w AS word, c.term FROM unnest(%(words)s::text[]) w
               CROSS JOIN LATERAL (
                   SELECT t.term FROM terms t
                   WHERE t.term %% w AND t.term <> w
                     AND levenshtein(t.term, w) <= CASE WHEN length(w) >= 9 THEN 2 ELSE 1 END
                   ORDER BY levenshtein(t.term, w), similarity(t.term, w) DESC, t.term LIMIT 2) c
               WHERE NOT EXISTS (SELECT 1 FROM terms t WHERE t.term = w)""",
            {"words": words},
        )
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r["word"], []).append(r["term"])
        return found

    def suggest(self, prefix: str, today: date, limit: int) -> list[str]:
        """Title and keyword words of findable courses that start with ``prefix`` (most used
        first); when too few, words that start with it but for one letter."""
        params = {"prefix": prefix, "today": today, "limit": limit}
        exact = self.fetch_all(
            """SELECT dt.term, count(*) AS n FROM document_terms dt JOIN facts f USING (course_id)
               WHERE dt.term LIKE %(prefix)s || '%%' AND f.published AND f.last_start >= %(today)s
               GROUP BY dt.term ORDER BY n DESC, length(dt.term), dt.term LIMIT %(limit)s""", params)
        found = [r["term"] for r in exact]
        if len(found) < limit and len(prefix) >= 4:
            fuzzy = self.fetch_all(
                """SELECT dt.term, count(*) AS n
                   FROM terms t JOIN document_terms dt ON dt.term = t.term JOIN facts f USING (course_id)
                   WHERE t.suggest AND NOT t.term LIKE %(prefix)s || '%%'
                     AND least(levenshtein(left(t.term, length(%(prefix)s)), %(prefix)s),
                               levenshtein(left(t.term, length(%(prefix)s) + 1), %(prefix)s),
                               levenshtein(left(t.term, length(%(prefix)s) - 1), %(prefix)s)) <= 1
                     AND f.published AND f.last_start >= %(today)s
                   GROUP BY dt.term ORDER BY n DESC, length(dt.term), dt.term LIMIT %(limit)s""", params)
            found += [r["term"] for r in fuzzy][: limit - len(found)]
        return found

    def search(self, req: SearchRequest, plan: QueryPlan | None, today: date,
               point: tuple[float, float] | None = None) -> tuple[list[dict], int, dict]:
        """``plan`` is the analysed ``q``; ``point`` the resolved ``near`` place (lat, lon)."""
        statement = SearchSql(req, plan, today, point)
        # the candidates of a broad search (20,000 courses) stay in memory instead of a temp file
        self.execute("SET LOCAL work_mem = '32MB'")
        answer = self.fetch_one(statement.statement(), {**statement.params, **UNIVERSE_PARAMS})
        facets = {name: {value: n for value, n in zip(UNIVERSES[name], answer["facets"][name]) if n}
                  for name in UNIVERSES}
        return answer["hits"], answer["total"], facets

    # funding schemes (for situation profiles)

    def put_funding_scheme(self, code: str, scheme: dict) -> None:
        self.changed = True
        self.execute(
            """INSERT INTO funding_schemes (code, name, funder, valid_from, valid_until,
                   eligible_situations, eligible_sectors, eligible_levels)
               VALUES (%(code)s, %(name)s, %(funder)s, %(valid_from)s, %(valid_until)s,
                   %(eligible_situations)s, %(eligible_sectors)s, %(eligible_levels)s)
               ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, funder = EXCLUDED.funder,
                   valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                   eligible_situations = EXCLUDED.eligible_situations,
                   eligible_sectors = EXCLUDED.eligible_sectors, eligible_levels = EXCLUDED.eligible_levels""",
            {**scheme, "code": code},
        )

    def schemes_for(self, situation: str, today: date) -> list[dict]:
        """Schemes valid today that are open to ``situation`` (no listed situations: open to all)."""
        return self.fetch_all(
            """SELECT code, name, funder, valid_until FROM funding_schemes
               WHERE valid_from <= %(today)s AND (valid_until IS NULL OR valid_until >= %(today)s)
                 AND (cardinality(eligible_situations) = 0 OR %(situation)s = ANY(eligible_situations))
               ORDER BY code""",
            {"situation": situation, "today": today},
        )
