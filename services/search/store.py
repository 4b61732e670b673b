"""Every SQL statement of the search read model (the ``postgres`` backend)."""
from __future__ import annotations

from datetime import date

from psycopg import sql
from psycopg.types.json import Jsonb

from services.chassis.postgres import Store
from services.contracts.rpc import SearchRequest
from services.search.analysis import QueryPlan

TSV = """setweight(to_tsvector('sa_dutch', %(title)s), 'A')
      || setweight(to_tsvector('sa_dutch', array_to_string(%(keywords)s::text[], ' ')), 'B')
      || setweight(to_tsvector('sa_dutch', %(description)s), 'C')
      || setweight(to_tsvector('sa_dutch', %(compounds)s), 'D')"""

# Offering filters (API.md): one and the same offering must satisfy all of them. An online
# offering has no place, so it never matches `near` or `province`. A facet leaves its own out.
OFFERING_CONDITIONS = {
    "start": "(o->>'start_date')::date >= %(today)s",
    "strict": "(NOT %(strict)s OR o->>'status' = 'open')",
    "start_from": "(%(start_from)s::date IS NULL OR (o->>'start_date')::date >= %(start_from)s)",
    "start_to": "(%(start_to)s::date IS NULL OR (o->>'start_date')::date <= %(start_to)s)",
    "max_price": "(%(max_price)s::numeric IS NULL OR (o->>'price_eur')::numeric <= %(max_price)s)",
    "mode": "(cardinality(%(modes)s::text[]) = 0 OR o->>'mode' = ANY(%(modes)s))",
    "province": "(cardinality(%(provinces)s::text[]) = 0 OR o->>'province' = ANY(%(provinces)s))",
    "near": """(%(lat)s::float8 IS NULL OR (o->>'lat' IS NOT NULL
           AND km_between(%(lat)s, %(lon)s, (o->>'lat')::float8, (o->>'lon')::float8) <= %(radius)s))""",
}
DOCUMENT_CONDITIONS = {
    "findable": "d.published AND d.last_start >= %(today)s",
    "text": "(query.tsq IS NULL OR d.tsv @@ query.tsq)",
    "level": "(cardinality(%(levels)s::text[]) = 0 OR d.level = ANY(%(levels)s))",
    "sector": "(cardinality(%(sectors)s::text[]) = 0 OR d.sectors && %(sectors)s::text[])",
    "funding": "(%(funding)s::text IS NULL OR %(funding)s = ANY(d.funding))",
}


def offering_filter(leave_out: str | None = None) -> str:
    return "\n      AND ".join(c for name, c in OFFERING_CONDITIONS.items() if name != leave_out)


def document_filter(leave_out: str | None = None) -> str:
    conditions = [c for name, c in DOCUMENT_CONDITIONS.items() if name != leave_out]
    conditions.append(f"EXISTS (SELECT 1 FROM jsonb_array_elements(d.offerings) o WHERE {offering_filter()})")
    return "\n  AND ".join(conditions)


NEAREST = f"""(SELECT min(km_between(%(lat)s, %(lon)s, (o->>'lat')::float8, (o->>'lon')::float8))
    FROM jsonb_array_elements(d.offerings) o WHERE %(lat)s::float8 IS NOT NULL AND {offering_filter()})"""

# Relevance: Dutch full-text rank (title > keywords > description > compound parts), plus a
# bonus when every word is in the title and when the words stand together as typed; courses
# marked for the searcher's situation count half as much again.
RANK = """(CASE WHEN query.tsq IS NULL THEN 0 ELSE
        ts_rank_cd('{0.05, 0.2, 0.5, 1.0}', d.tsv, query.tsq, 1)
        + CASE WHEN ts_filter(d.tsv, '{a}') @@ query.tsq THEN 1.0 ELSE 0 END
        + CASE WHEN query.phrase IS NOT NULL AND d.tsv @@ query.phrase THEN 0.5 ELSE 0 END
      END + 0.01)
      * CASE WHEN %(situation)s::text = ANY(d.situations) THEN 1.5 ELSE 1 END"""

ORDER = {
    "relevance": "rank DESC, d.title",
    "start_date": "next_start NULLS LAST, d.title",
    "price": "min_price NULLS LAST, d.title",
    "distance": "distance_km NULLS LAST, d.title",
}

# facet -> (filter it leaves out, query); offering facets count courses, not offerings
FACETS = {
    "level": ("level", "SELECT d.level AS key, count(*) AS n FROM documents d, query WHERE {where} GROUP BY 1"),
    "sector": ("sector", "SELECT s AS key, count(*) AS n FROM documents d, query, unnest(d.sectors) s "
                         "WHERE {where} GROUP BY 1"),
    "situation": (None, "SELECT s AS key, count(*) AS n FROM documents d, query, unnest(d.situations) s "
                        "WHERE {where} GROUP BY 1"),
    "mode": ("mode", "SELECT o->>'mode' AS key, count(DISTINCT d.course_id) AS n "
                     "FROM documents d, query, jsonb_array_elements(d.offerings) o "
                     "WHERE {where} AND {offering} GROUP BY 1"),
    "province": ("province", "SELECT o->>'province' AS key, count(DISTINCT d.course_id) AS n "
                             "FROM documents d, query, jsonb_array_elements(d.offerings) o "
                             "WHERE {where} AND {offering} AND o->>'province' IS NOT NULL GROUP BY 1"),
}
OFFERING_FACETS = {"mode", "province"}


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


class SearchStore(Store):
    def upsert(self, doc: dict) -> bool:
        """Store ``doc`` unless a newer version is already there (or the same version built with
        the same analysis). True if stored."""
        params = {**doc, "offerings": Jsonb(doc["offerings"])}
        cur = self.execute(
            sql.SQL("""
            INSERT INTO documents (course_id, version, published, provider_id, provider_name, title,
                description, keywords, level, sectors, situations, credential, funding, offerings,
                modes, provinces, last_start, compounds, analysis, tsv)
            VALUES (%(course_id)s, %(version)s, %(published)s, %(provider_id)s, %(provider_name)s,
                %(title)s, %(description)s, %(keywords)s, %(level)s, %(sectors)s, %(situations)s,
                %(credential)s, %(funding)s, %(offerings)s, %(modes)s, %(provinces)s, %(last_start)s,
                %(compounds)s, %(analysis)s, {tsv})
            ON CONFLICT (course_id) DO UPDATE SET
                version = EXCLUDED.version, published = EXCLUDED.published,
                provider_id = EXCLUDED.provider_id, provider_name = EXCLUDED.provider_name,
                title = EXCLUDED.title, description = EXCLUDED.description, keywords = EXCLUDED.keywords,
                level = EXCLUDED.level, sectors = EXCLUDED.sectors, situations = EXCLUDED.situations,
                credential = EXCLUDED.credential, funding = EXCLUDED.funding,
                offerings = EXCLUDED.offerings, modes = EXCLUDED.modes, provinces = EXCLUDED.provinces,
                last_start = EXCLUDED.last_start, compounds = EXCLUDED.compounds,
                analysis = EXCLUDED.analysis, tsv = EXCLUDED.tsv, updated_at = now()
            WHERE documents.version < EXCLUDED.version
               OR (documents.version = EXCLUDED.version AND documents.analysis <> EXCLUDED.analysis)
            """).format(tsv=sql.SQL(TSV)),
            params,
        )
        if cur.rowcount != 1:
            return False
        self.execute("DELETE FROM document_terms WHERE course_id = %(course_id)s", doc)
        self.execute("""INSERT INTO document_terms (course_id, term)
                        SELECT %(course_id)s, t FROM unnest(%(suggest_terms)s::text[]) t""", doc)
        # sorted, so concurrent upserts take the row locks in the same order (no deadlock)
        self.execute("""INSERT INTO terms (term, suggest)
                        SELECT t, bool_or(s) FROM (
                            SELECT t, false AS s FROM unnest(%(terms)s::text[]) t
                            UNION ALL SELECT t, true FROM unnest(%(suggest_terms)s::text[]) t) w
                        GROUP BY t ORDER BY t
                        ON CONFLICT (term) DO UPDATE SET suggest = true
                        WHERE EXCLUDED.suggest AND NOT terms.suggest""", doc)
        return True

    def unpublish_missing(self, seen: list, rebuilt_since) -> int:
        """After a rebuild: hide documents the catalogue no longer publishes (a missed withdrawal),
        unless an event changed them while the rebuild ran."""
        cur = self.execute(
            """UPDATE documents SET published = false, updated_at = now()
               WHERE published AND NOT (course_id = ANY(%(seen)s)) AND updated_at < %(since)s""",
            {"seen": seen, "since": rebuilt_since},
        )
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
            """SELECT dt.term, count(*) AS n FROM document_terms dt JOIN documents d USING (course_id)
               WHERE dt.term LIKE %(prefix)s || '%%' AND d.published AND d.last_start >= %(today)s
               GROUP BY dt.term ORDER BY n DESC, length(dt.term), dt.term LIMIT %(limit)s""", params)
        found = [r["term"] for r in exact]
        if len(found) < limit and len(prefix) >= 4:
            fuzzy = self.fetch_all(
                """SELECT dt.term, count(*) AS n
                   FROM terms t JOIN document_terms dt ON dt.term = t.term JOIN documents d USING (course_id)
                   WHERE t.suggest AND NOT t.term LIKE %(prefix)s || '%%'
                     AND least(levenshtein(left(t.term, length(%(prefix)s)), %(prefix)s),
                               levenshtein(left(t.term, length(%(prefix)s) + 1), %(prefix)s),
                               levenshtein(left(t.term, length(%(prefix)s) - 1), %(prefix)s)) <= 1
                     AND d.published AND d.last_start >= %(today)s
                   GROUP BY dt.term ORDER BY n DESC, length(dt.term), dt.term LIMIT %(limit)s""", params)
            found += [r["term"] for r in fuzzy][: limit - len(found)]
        return found

    def search(self, req: SearchRequest, plan: QueryPlan | None, today: date,
               point: tuple[float, float] | None = None) -> tuple[list[dict], int, dict]:
        """``plan`` is the analysed ``q``; ``point`` the resolved ``near`` place (lat, lon)."""
        offering_filters = bool(req.start_from or req.start_to or req.max_price is not None or req.mode
                                or req.province or point)
        params = {
            "today": today, "strict": offering_filters,
            "start_from": req.start_from, "start_to": req.start_to, "max_price": req.max_price,
            "modes": req.mode, "provinces": req.province,
            "lat": point and point[0], "lon": point and point[1], "radius": req.radius_km,
            "levels": req.level, "sectors": req.sector, "funding": req.funding, "situation": req.situation,
            "limit": req.page_size, "offset": (req.page - 1) * req.page_size,
        }
        tsq, phrase = tsquery(plan)
        query = sql.SQL("WITH query AS (SELECT {tsq} AS tsq, {phrase} AS phrase) ").format(tsq=tsq, phrase=phrase)
        where = document_filter()
        rows = self.fetch_all(
            query + sql.SQL("""
            SELECT d.course_id, d.title, d.provider_id, d.provider_name, d.level, d.sectors,
                   d.credential, d.offerings, d.situations, d.funding,
                   {rank} AS rank,
                   CASE WHEN query.tsq IS NULL THEN left(d.description, 200)
                        ELSE ts_headline('sa_dutch', d.title || ' — ' || d.description, query.tsq,
                             'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2')
                   END AS snippet,
                   (SELECT min((o->>'start_date')::date) FROM jsonb_array_elements(d.offerings) o
                     WHERE (o->>'start_date')::date >= %(today)s) AS next_start,
                   (SELECT min((o->>'price_eur')::numeric) FROM jsonb_array_elements(d.offerings) o
                     WHERE (o->>'start_date')::date >= %(today)s) AS min_price,
                   {nearest} AS distance_km
            FROM documents d, query WHERE {where}
            ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s""").format(
                rank=sql.SQL(RANK), where=sql.SQL(where), order=sql.SQL(ORDER[req.sort]),
                nearest=sql.SQL(NEAREST)),
            params,
        )
        total = self.fetch_one(
            query + sql.SQL("SELECT count(*) AS n FROM documents d, query WHERE {where}").format(
                where=sql.SQL(where)), params)["n"]
        facets = {}
        for name, (leave_out, statement) in FACETS.items():
            if name in OFFERING_FACETS:
                text = statement.format(where=document_filter_without_offering(),
                                        offering=offering_filter(leave_out))
            else:
                text = statement.format(where=document_filter(leave_out), offering="")
            facets[name] = {r["key"]: r["n"] for r in self.fetch_all(query + sql.SQL(text), params)}
        return rows, total, facets

    # funding schemes (for situation profiles)

    def put_funding_scheme(self, code: str, scheme: dict) -> None:
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


def document_filter_without_offering() -> str:
    """The document conditions alone: offering facets test the offering in their own join."""
    return "\n  AND ".join(DOCUMENT_CONDITIONS.values())
