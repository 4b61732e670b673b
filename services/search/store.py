"""Every SQL statement of the search read model (the ``postgres`` backend)."""
from __future__ import annotations

from datetime import date

from psycopg import sql
from psycopg.types.json import Jsonb

from services.chassis.postgres import Store
from services.contracts.rpc import SearchRequest

TSV = """setweight(to_tsvector('sa_dutch', %(title)s), 'A')
      || setweight(to_tsvector('sa_dutch', array_to_string(%(keywords)s::text[], ' ')), 'B')
      || setweight(to_tsvector('sa_dutch', %(description)s), 'C')"""

# One and the same offering must satisfy every offering filter (API.md); an online offering
# has no place, so it never matches `near`.
OFFERING_FILTER = """(o->>'start_date')::date >= %(today)s
      AND (NOT %(strict)s OR o->>'status' = 'open')
      AND (%(start_from)s::date IS NULL OR (o->>'start_date')::date >= %(start_from)s)
      AND (%(start_to)s::date IS NULL OR (o->>'start_date')::date <= %(start_to)s)
      AND (%(max_price)s::numeric IS NULL OR (o->>'price_eur')::numeric <= %(max_price)s)
      AND (cardinality(%(modes)s::text[]) = 0 OR o->>'mode' = ANY(%(modes)s))
      AND (%(lat)s::float8 IS NULL OR (o->>'lat' IS NOT NULL
           AND km_between(%(lat)s, %(lon)s, (o->>'lat')::float8, (o->>'lon')::float8) <= %(radius)s))"""
OFFERING_MATCH = f"EXISTS (SELECT 1 FROM jsonb_array_elements(d.offerings) o WHERE {OFFERING_FILTER})"
NEAREST = f"""(SELECT min(km_between(%(lat)s, %(lon)s, (o->>'lat')::float8, (o->>'lon')::float8))
    FROM jsonb_array_elements(d.offerings) o WHERE %(lat)s::float8 IS NOT NULL AND {OFFERING_FILTER})"""

ORDER = {
    "relevance": "rank DESC, d.title",
    "start_date": "next_start NULLS LAST, d.title",
    "price": "min_price NULLS LAST, d.title",
    "distance": "distance_km NULLS LAST, d.title",
}

FACETS = {
    "level": "SELECT d.level AS key, count(*) AS n FROM matches d GROUP BY 1",
    "sector": "SELECT s AS key, count(*) AS n FROM matches d, unnest(d.sectors) s GROUP BY 1",
    "mode": "SELECT m AS key, count(*) AS n FROM matches d, unnest(d.modes) m GROUP BY 1",
    "province": "SELECT p AS key, count(*) AS n FROM matches d, unnest(d.provinces) p GROUP BY 1",
}


class SearchStore(Store):
    def upsert(self, doc: dict) -> bool:
        """Store ``doc`` unless a newer or equal version is already there. True if stored."""
        params = {**doc, "offerings": Jsonb(doc["offerings"])}
        cur = self.execute(
            sql.SQL("""
            INSERT INTO documents (course_id, version, published, provider_id, provider_name, title,
                description, keywords, level, sectors, situations, credential, funding, offerings,
                modes, provinces, last_start, tsv)
            VALUES (%(course_id)s, %(version)s, %(published)s, %(provider_id)s, %(provider_name)s,
                %(title)s, %(description)s, %(keywords)s, %(level)s, %(sectors)s, %(situations)s,
                %(credential)s, %(funding)s, %(offerings)s, %(modes)s, %(provinces)s, %(last_start)s, {tsv})
            ON CONFLICT (course_id) DO UPDATE SET
                version = EXCLUDED.version, published = EXCLUDED.published,
                provider_id = EXCLUDED.provider_id, provider_name = EXCLUDED.provider_name,
                title = EXCLUDED.title, description = EXCLUDED.description, keywords = EXCLUDED.keywords,
                level = EXCLUDED.level, sectors = EXCLUDED.sectors, situations = EXCLUDED.situations,
                credential = EXCLUDED.credential, funding = EXCLUDED.funding,
                offerings = EXCLUDED.offerings, modes = EXCLUDED.modes, provinces = EXCLUDED.provinces,
                last_start = EXCLUDED.last_start, tsv = EXCLUDED.tsv, updated_at = now()
            WHERE documents.version < EXCLUDED.version""").format(tsv=sql.SQL(TSV)),
            params,
        )
        return cur.rowcount == 1

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

    def search(self, req: SearchRequest, today: date, point: tuple[float, float] | None = None
               ) -> tuple[list[dict], int, dict]:
        """``point`` is the resolved ``near`` place (lat, lon)."""
        offering_filters = bool(req.start_from or req.start_to or req.max_price is not None or req.mode or point)
        params = {
            "q": req.q or None, "today": today, "strict": offering_filters,
            "start_from": req.start_from, "start_to": req.start_to, "max_price": req.max_price,
            "modes": req.mode, "lat": point and point[0], "lon": point and point[1], "radius": req.radius_km,
            "levels": req.level, "sectors": req.sector, "funding": req.funding,
            "limit": req.page_size, "offset": (req.page - 1) * req.page_size,
        }
        where = sql.SQL("""d.published AND d.last_start >= %(today)s
            AND (%(q)s::text IS NULL OR d.tsv @@ websearch_to_tsquery('sa_dutch', %(q)s))
            AND (cardinality(%(levels)s::text[]) = 0 OR d.level = ANY(%(levels)s))
            AND (cardinality(%(sectors)s::text[]) = 0 OR d.sectors && %(sectors)s::text[])
            AND (%(funding)s::text IS NULL OR %(funding)s = ANY(d.funding))
            AND {offering}""").format(offering=sql.SQL(OFFERING_MATCH))
        matches = sql.SQL("WITH matches AS (SELECT d.* FROM documents d WHERE {where})").format(where=where)
        rows = self.fetch_all(
            matches + sql.SQL("""
            SELECT d.course_id, d.title, d.provider_id, d.provider_name, d.level, d.sectors,
                   d.credential, d.offerings, d.situations,
                   CASE WHEN %(q)s::text IS NULL THEN 0
                        ELSE ts_rank_cd(d.tsv, websearch_to_tsquery('sa_dutch', %(q)s)) END AS rank,
                   CASE WHEN %(q)s::text IS NULL THEN left(d.description, 200)
                        ELSE ts_headline('sa_dutch', d.title || ' — ' || d.description,
                             websearch_to_tsquery('sa_dutch', %(q)s),
                             'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2')
                   END AS snippet,
                   (SELECT min((o->>'start_date')::date) FROM jsonb_array_elements(d.offerings) o
                     WHERE (o->>'start_date')::date >= %(today)s) AS next_start,
                   (SELECT min((o->>'price_eur')::numeric) FROM jsonb_array_elements(d.offerings) o
                     WHERE (o->>'start_date')::date >= %(today)s) AS min_price,
                   {nearest} AS distance_km
            FROM matches d ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s""").format(
                order=sql.SQL(ORDER[req.sort]), nearest=sql.SQL(NEAREST)),
            params,
        )
        total = self.fetch_one(matches + sql.SQL(" SELECT count(*) AS n FROM matches"), params)["n"]
        facets = {
            name: {r["key"]: r["n"] for r in self.fetch_all(matches + sql.SQL(" " + query), params)}
            for name, query in FACETS.items()
        }
        return rows, total, facets
