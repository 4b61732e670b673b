"""Every SQL statement of the search read model (the ``postgres`` backend)."""
from __future__ import annotations

from datetime import date
from typing import NamedTuple, get_args

import numpy as np

from psycopg import sql

from services.chassis.postgres import Store, json_rows, newest_versions
from services.contracts.courses import Level, Mode, Province, Sector, Situation
from services.search.analysis import QueryPlan, adjacent_swaps
from services.search.documents import MARK_START, MARK_STOP, snippet_html

# Relevance of a text match: Dutch full-text rank (title > keywords > description > compound
# parts), plus a bonus when every word is in the title and when the words stand together as
# typed (facet_columns.py adds the situation boost).
TEXT_RANK = """ts_rank_cd('{0.05, 0.2, 0.5, 1.0}', d.tsv, query.tsq, 1)
        + CASE WHEN d.title_tsv @@ query.tsq THEN 1.0 ELSE 0 END
        + CASE WHEN query.phrase IS NOT NULL AND d.tsv @@ query.phrase THEN 0.5 ELSE 0 END
        + CASE WHEN query.typed IS NOT NULL AND d.title_tsv @@ query.typed THEN 0.5 ELSE 0 END"""

UUID_BYTES = np.dtype("S16")   # a course id as its 16 bytes (uuid_send), as numpy compares them


class TextMatches(NamedTuple):
    """The courses the words match (``UUID_BYTES``) and the relevance of each match."""
    course_ids: np.ndarray
    ranks: np.ndarray


# Facet values and their bit in the `*_bits` columns of `facts`: the contract's order. A value
# added at the end needs nothing; any other change of these lists needs ANALYSIS_VERSION bumped
# (documents.py), which rebuilds the read model.
UNIVERSES = {"level": get_args(Level), "sector": get_args(Sector), "situation": get_args(Situation),
             "mode": get_args(Mode), "province": get_args(Province)}
UNIVERSE_PARAMS = {f"u_{name}": list(values) for name, values in UNIVERSES.items()}

# What the in-memory facet index (backends/postgres/facet_columns.py) holds per course changed since a generation: the
# narrow facts and its offerings as arrays (dates as days since 1970, modes and provinces as
# positions in UNIVERSES, -1 for none). One statement, so one snapshot: the generation and the
# courses agree.
CHANGED_COURSES = """
SELECT g.generation, f.course_id::text, f.published, f.title, f.funding,
       f.last_start - DATE '1970-01-01' AS last_start, f.next_start - DATE '1970-01-01' AS next_start,
       f.min_price::float8 AS min_price,
       f.level_bits, f.sector_bits, f.situation_bits, f.mode_bits, f.province_bits, f.tags,
       o.starts, o.open, o.modes, o.provinces, o.lats, o.lons, o.prices
FROM (SELECT generation FROM read_model WHERE slot = 0) g
LEFT JOIN facts f ON f.changed > %(since)s
LEFT JOIN LATERAL (
    SELECT array_agg(o.start_date - DATE '1970-01-01') AS starts, array_agg(o.status = 'open') AS open,
           array_agg(coalesce(array_position(%(u_mode)s, o.mode) - 1, -1)) AS modes,
           array_agg(coalesce(array_position(%(u_province)s, o.province) - 1, -1)) AS provinces,
           array_agg(o.lat) AS lats, array_agg(o.lon) AS lons, array_agg(o.price::float8) AS prices
    FROM offerings o WHERE o.course_id = f.course_id) o ON f.course_id IS NOT NULL"""


def typed_in_title(plan: QueryPlan | None) -> sql.Composable:
    """The words as typed, every one (stemmed; not their synonyms): a title that has them ranks
    above one that has only a synonym (`zorg`: *Helpende zorg en welzijn* before *Verzorgende IG*)."""
    if plan is None or not plan.groups:
        return sql.SQL("NULL::tsquery")
    return sql.SQL("plainto_tsquery('sa_dutch', {})").format(sql.Literal(" ".join(plan.words)))


def _group_tsqueries(plan: QueryPlan) -> list[sql.Composable]:
    """A tsquery per group: any alternative (each a phrase, stemmed by PostgreSQL), or the words
    of one of its ``apart`` each anywhere."""
    return [
        sql.SQL("(") + sql.SQL(" || ").join(
            [sql.SQL("phraseto_tsquery('sa_dutch', {})").format(sql.Literal(a)) for a in g.alternatives]
            + [sql.SQL("plainto_tsquery('sa_dutch', {})").format(sql.Literal(a)) for a in g.apart]
        ) + sql.SQL(")")
        for g in plan.groups
    ]


def tsquery(plan: QueryPlan | None) -> tuple[sql.Composable, sql.Composable]:
    """The plan as tsquery expressions: every group must match (any one, for a relaxed plan);
    and the typed words as one phrase."""
    if plan is None or not plan.groups:
        return sql.SQL("NULL::tsquery"), sql.SQL("NULL::tsquery")
    phrase = (sql.SQL("phraseto_tsquery('sa_dutch', {})").format(sql.Literal(" ".join(plan.words)))
              if len(plan.groups) > 1 else sql.SQL("NULL::tsquery"))
    return sql.SQL(" || " if plan.any_word else " && ").join(_group_tsqueries(plan)), phrase


def words_matched(plan: QueryPlan) -> sql.Composable:
    """How many of a relaxed plan's groups the document ``d`` matches."""
    return sql.SQL("({})").format(
        sql.SQL(" + ").join(sql.SQL("(d.tsv @@ {})::int").format(g) for g in _group_tsqueries(plan)))


def text_rank(plan: QueryPlan, ranked: bool = True) -> sql.Composable:
    """A match's relevance (TEXT_RANK), led for a relaxed plan by how many of its groups the
    document matches (a course with more of the words first). Not ``ranked`` (a search sorted
    otherwise): only that count, which still comes first in any order; else nothing (0)."""
    if not plan.any_word:
        return sql.SQL(TEXT_RANK if ranked else "0")
    if not ranked:
        return words_matched(plan)
    return words_matched(plan) + sql.SQL(" * 10 + ") + sql.SQL(TEXT_RANK)


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


# Writing a batch of documents (upsert_many): each statement reads the batch as one JSON
# array of objects (jsonb_to_recordset), in course order.
DOCUMENT_COLUMNS = ("course_id", "version", "provider_id", "provider_name", "title", "description", "keywords",
                    "credential", "offerings", "compounds", "analysis")
REST_COLUMNS = ("course_id", "published", "title", "level", "sectors", "situations", "languages", "tags",
                "funding", "last_start", "offerings", "suggest_terms")
UPSERT_DOCUMENTS = """
INSERT INTO documents (course_id, version, provider_id, provider_name, title, description,
    keywords, credential, offerings, compounds, analysis, tsv, title_tsv)
SELECT d.course_id, d.version, d.provider_id, d.provider_name, d.title, d.description, d.keywords,
    d.credential, d.offerings, d.compounds, d.analysis,
    setweight(to_tsvector('sa_dutch', d.title), 'A')
      || setweight(to_tsvector('sa_dutch', array_to_string(d.keywords, ' ')), 'B')
      || setweight(to_tsvector('sa_dutch', d.description), 'C')
      || setweight(to_tsvector('sa_dutch', d.compounds), 'D'),
    to_tsvector('sa_dutch', d.title)
FROM jsonb_to_recordset(%(docs)s) AS d(course_id uuid, version integer, provider_id uuid, provider_name text,
    title text, description text, keywords text[], credential text, offerings jsonb, compounds text,
    analysis text)
ORDER BY d.course_id
ON CONFLICT (course_id) DO UPDATE SET
    version = EXCLUDED.version, provider_id = EXCLUDED.provider_id,
    provider_name = EXCLUDED.provider_name, title = EXCLUDED.title,
    description = EXCLUDED.description, keywords = EXCLUDED.keywords,
    credential = EXCLUDED.credential, offerings = EXCLUDED.offerings,
    compounds = EXCLUDED.compounds, analysis = EXCLUDED.analysis, tsv = EXCLUDED.tsv,
    title_tsv = EXCLUDED.title_tsv, updated_at = now()
WHERE documents.version < EXCLUDED.version
   OR (documents.version = EXCLUDED.version AND (%(replace_same_version)s OR documents.analysis <> EXCLUDED.analysis))
RETURNING course_id"""
INSERT_OFFERINGS = """
INSERT INTO offerings (course_id, external_id, start_date, status, mode, province, lat, lon, price)
SELECT d.course_id, o.external_id, o.start_date, o.status, o.mode, o.province, o.lat, o.lon, o.price_eur
FROM jsonb_to_recordset(%(docs)s) AS d(course_id uuid, offerings jsonb),
     jsonb_to_recordset(d.offerings) AS o(external_id text, start_date date, status text, mode text,
                                          province text, lat float8, lon float8, price_eur numeric)"""
UPSERT_FACTS = """
INSERT INTO facts (course_id, published, title, level, sectors, situations, languages, tags, funding, last_start,
       next_start, min_price, level_bits, sector_bits, situation_bits, mode_bits, province_bits)
SELECT d.course_id, d.published, d.title, d.level, d.sectors, d.situations, d.languages, d.tags, d.funding,
       d.last_start,
       a.next_start, a.min_price, bits(ARRAY[d.level], %(u_level)s), bits(d.sectors, %(u_sector)s),
       bits(d.situations, %(u_situation)s), bits(a.modes, %(u_mode)s), bits(a.provinces, %(u_province)s)
FROM jsonb_to_recordset(%(docs)s) AS d(course_id uuid, published boolean, title text, level text,
         sectors text[], situations text[], languages text[], tags jsonb, funding text[], last_start date)
LEFT JOIN LATERAL (""" + OFFERINGS_AHEAD + """ WHERE o.course_id = d.course_id AND o.start_date >= current_date) a ON true
ORDER BY d.course_id
ON CONFLICT (course_id) DO UPDATE SET published = EXCLUDED.published, title = EXCLUDED.title,
    level = EXCLUDED.level, sectors = EXCLUDED.sectors, situations = EXCLUDED.situations,
    languages = EXCLUDED.languages, tags = EXCLUDED.tags, funding = EXCLUDED.funding,
    last_start = EXCLUDED.last_start,
    next_start = EXCLUDED.next_start, min_price = EXCLUDED.min_price,
    level_bits = EXCLUDED.level_bits, sector_bits = EXCLUDED.sector_bits,
    situation_bits = EXCLUDED.situation_bits, mode_bits = EXCLUDED.mode_bits,
    province_bits = EXCLUDED.province_bits"""
INSERT_DOCUMENT_TERMS = """
INSERT INTO document_terms (course_id, term)
SELECT d.course_id, t FROM jsonb_to_recordset(%(docs)s) AS d(course_id uuid, suggest_terms text[]),
     unnest(d.suggest_terms) t"""


class SearchStore(Store):
    def __init__(self, conn):
        super().__init__(conn)
        self.changed = False   # this transaction changed what a search can answer
        self.touched: set = set()   # the courses whose facts or offerings it changed
        self._read_model: tuple | None = None

    def mark_changed(self, course_ids=()) -> None:
        """This transaction changed what a search can answer (of these courses, if any): at
        commit the read model's generation rises and the courses are stamped with it, so the
        answer caches and the in-memory columns follow. Every write of the read model goes
        through here (tests/search/test_marking.py checks each one)."""
        self.changed = True
        self.touched.update(course_ids)

    def before_commit(self) -> None:
        # Last, so the row lock is held only for the moment of the commit; and as everyone
        # raises the one counter, generations follow the order of the commits: whoever has
        # seen generation g has seen every change stamped g or lower (facet_columns.py relies on it).
        if self.changed:
            self.execute("""WITH raised AS (UPDATE read_model SET generation = generation + 1 WHERE slot = 0
                                            RETURNING generation)
                            UPDATE facts f SET changed = raised.generation FROM raised
                            WHERE f.course_id = ANY(%(courses)s::uuid[])""", {"courses": list(self.touched)})

    def read_model(self) -> tuple:
        """Which store this is and its generation, as first read through this store: the
        answer cache and the in-memory columns of one search go by the same reading."""
        if self._read_model is None:
            row = self.fetch_one("SELECT store, generation FROM read_model WHERE slot = 0")
            self._read_model = row["store"], row["generation"]
        return self._read_model

    def changed_courses(self, since: int) -> tuple[int, list[dict]]:
        """The current generation and every course changed after generation ``since`` (with its
        offerings): CHANGED_COURSES."""
        rows = self.fetch_all(CHANGED_COURSES, {"since": since, **UNIVERSE_PARAMS})
        return rows[0]["generation"], [r for r in rows if r["course_id"] is not None]

    def text_matches(self, plan: QueryPlan, ranked: bool = True) -> TextMatches:
        """Every document the words match (published or not) and the relevance of the match
        (``text_rank``: unless ``ranked``, 0 or a relaxed plan's words matched; ranking reads every
        match's text again, a search sorted otherwise does without). Thousands of matches travel as one row of two packed arrays, in the same order:
        a row per match cost the search service more than the columns' whole answer."""
        tsq, phrase = tsquery(plan)
        ids, ranks = self.execute(
            sql.SQL("SELECT coalesce(string_agg(uuid_send(d.course_id), ''), ''), coalesce(string_agg(float8send((")
            + text_rank(plan, ranked)
            + sql.SQL(
                ")::float8), ''), '') FROM documents d, (SELECT {} AS tsq, {} AS phrase, {} AS typed) query "
                "WHERE d.tsv @@ query.tsq").format(tsq, phrase, typed_in_title(plan))).fetchone()
        return TextMatches(np.frombuffer(ids, dtype=UUID_BYTES), np.frombuffer(ranks, dtype=">f8").astype(np.float64))

    def hits(self, course_ids: list, plan: QueryPlan | None) -> list[dict]:
        """What a page shows of these courses, in this order: the facts, the offerings and a
        snippet (the matched words marked)."""
        tsq, _ = tsquery(plan)
        rows = self.fetch_all(sql.SQL(
            "SELECT f.course_id::text, f.title, f.level, f.sectors, f.situations, f.languages, f.funding, "
            "d.provider_id, d.provider_name, d.credential, d.offerings, "
            "CASE WHEN query.tsq IS NULL THEN left(d.description, 200) "
            "ELSE ts_headline('sa_dutch', d.title || ' — ' || d.description, query.tsq, "
            "'StartSel=' || %(start)s || ', StopSel=' || %(stop)s || ', MaxWords=30, MinWords=12, MaxFragments=2') "
            "END AS snippet "
            "FROM unnest(%(ids)s::uuid[]) WITH ORDINALITY AS p(course_id, position) "
            "JOIN facts f ON f.course_id = p.course_id JOIN documents d ON d.course_id = p.course_id, "
            "(SELECT {} AS tsq) query ORDER BY p.position").format(tsq),
            {"ids": course_ids, "start": MARK_START, "stop": MARK_STOP})
        return [{**r, "snippet": snippet_html(r["snippet"])} for r in rows]

    def upsert_many(self, docs: list[dict], replace_same_version: bool = False) -> int:
        """Store each document unless a newer version is already there (or the same version
        built with the same analysis, unless ``replace_same_version``: a rebuild's copy of the
        catalogue); then its offerings, facts and words. A few statements
        for the whole batch, whatever its size: a statement per table and document cost the
        search service more CPU than building the documents. How many were stored."""
        # the statements take their row locks in course order (ORDER BY), the one order of every
        # writer (two search processes)
        batch = newest_versions(docs, key=lambda doc: doc["course_id"], version=lambda doc: doc["version"])
        if not batch:
            return 0
        stored_ids = {row["course_id"] for row in self.fetch_all(UPSERT_DOCUMENTS, {"docs": json_rows(
            [{k: doc[k] for k in DOCUMENT_COLUMNS} for doc in batch]), "replace_same_version": replace_same_version})}
        stored = [doc for doc in batch if doc["course_id"] in stored_ids]
        if not stored:
            return 0
        self.mark_changed(stored_ids)
        rest = {"ids": list(stored_ids), "docs": json_rows([{k: doc[k] for k in REST_COLUMNS} for doc in stored]),
                **UNIVERSE_PARAMS}
        self.execute("DELETE FROM offerings WHERE course_id = ANY(%(ids)s::uuid[])", rest)
        self.execute(INSERT_OFFERINGS, rest)
        self.execute(UPSERT_FACTS, rest)
        self.execute("DELETE FROM document_terms WHERE course_id = ANY(%(ids)s::uuid[])", rest)
        self.execute(INSERT_DOCUMENT_TERMS, rest)
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

    def refresh_started(self) -> int:
        """Courses with an offering that has started since: their figures (next start, lowest
        price, modes and provinces still ahead) follow the offerings still ahead."""
        changed = [r["course_id"] for r in self.fetch_all(
            AHEAD + " f.next_start < current_date RETURNING f.course_id", UNIVERSE_PARAMS)]
        if changed:
            self.mark_changed(changed)
        return len(changed)

    def unpublish_missing(self, seen: list, rebuilt_since) -> int:
        """After a rebuild: hide documents the catalogue no longer publishes (a missed withdrawal),
        unless an event changed them while the rebuild ran."""
        hidden = [r["course_id"] for r in self.fetch_all(
            """UPDATE facts f SET published = false FROM documents d
               WHERE d.course_id = f.course_id AND f.published AND NOT (f.course_id = ANY(%(seen)s))
                 AND d.updated_at < %(since)s RETURNING f.course_id""",
            {"seen": seen, "since": rebuilt_since},
        )]
        if hidden:
            self.mark_changed(hidden)
        return len(hidden)

    def document_versions(self, after: str | None, limit: int) -> list[dict]:
        """Each document's course, version and whether it is published, by course id (reconcile)."""
        return self.fetch_all(
            """SELECT d.course_id::text, d.version, f.published FROM documents d JOIN facts f USING (course_id)
               WHERE %(after)s::uuid IS NULL OR d.course_id > %(after)s::uuid ORDER BY d.course_id LIMIT %(l)s""",
            {"after": after, "l": limit})

    def count_documents(self) -> int:
        return self.fetch_one("SELECT count(*) AS n FROM documents")["n"]

    def outdated_documents(self, analysis: str) -> int:
        return self.fetch_one("SELECT count(*) AS n FROM documents WHERE analysis <> %s", (analysis,))["n"]

    def corrections(self, words: list[str]) -> dict[str, list[str]]:
        """Typo candidates for words that no indexed text contains: known words within one
        letter (two for words of 9 letters or more), two neighbouring letters swapped counting
        as one (``heftrukc``: the commonest slip, two letters apart for Levenshtein), the closest
        first. (Trigram candidates first: ``%`` is similarity >= pg_trgm's default threshold 0.3.)"""
        if not words:
            return {}
        rows = self.fetch_all(
            """SELECT w AS word, c.term FROM unnest(%(words)s::text[], %(swaps)s::text[]) AS x(w, swaps)
               CROSS JOIN LATERAL (
                   SELECT term FROM (
                       SELECT t.term, similarity(t.term, w) AS likeness,
                              CASE WHEN t.term = ANY(string_to_array(x.swaps, ' ')) THEN 1
                                   ELSE levenshtein(t.term, w) END AS distance
                       FROM terms t WHERE t.term %% w AND t.term <> w) candidate
                   WHERE distance <= CASE WHEN length(w) >= 9 THEN 2 ELSE 1 END
                   ORDER BY distance, likeness DESC, term LIMIT 2) c
               WHERE NOT EXISTS (SELECT 1 FROM terms t WHERE t.term = w)""",
            {"words": words, "swaps": [" ".join(adjacent_swaps(w)) for w in words]},
        )
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r["word"], []).append(r["term"])
        return found

    def suggest(self, prefix: str, today: date, limit: int) -> list[str]:
        """Title and keyword words of findable courses that start with ``prefix`` (most used
        first); when too few, words that start with it but for one letter (or two neighbouring
        letters swapped)."""
        params = {"prefix": prefix, "today": today, "limit": limit, "swaps": adjacent_swaps(prefix)}
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
                     AND (least(levenshtein(left(t.term, length(%(prefix)s)), %(prefix)s),
                                levenshtein(left(t.term, length(%(prefix)s) + 1), %(prefix)s),
                                levenshtein(left(t.term, length(%(prefix)s) - 1), %(prefix)s)) <= 1
                          OR left(t.term, length(%(prefix)s)) = ANY(%(swaps)s::text[]))
                     AND f.published AND f.last_start >= %(today)s
                   GROUP BY dt.term ORDER BY n DESC, length(dt.term), dt.term LIMIT %(limit)s""", params)
            found += [r["term"] for r in fuzzy][: limit - len(found)]
        return found

    # funding schemes (for situation profiles)

    def put_funding_scheme(self, code: str, scheme: dict, version: int) -> None:
        """Store a scheme unless a newer version of it is there."""
        self.mark_changed()     # a scheme changes which hits it is offered with
        self.execute(
            """INSERT INTO funding_schemes (code, name, funder, valid_from, valid_until,
                   eligible_situations, eligible_sectors, eligible_levels, max_amount_eur, version)
               VALUES (%(code)s, %(name)s, %(funder)s, %(valid_from)s, %(valid_until)s,
                   %(eligible_situations)s, %(eligible_sectors)s, %(eligible_levels)s, %(max_amount_eur)s, %(version)s)
               ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, funder = EXCLUDED.funder,
                   max_amount_eur = EXCLUDED.max_amount_eur,
                   valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                   eligible_situations = EXCLUDED.eligible_situations,
                   eligible_sectors = EXCLUDED.eligible_sectors, eligible_levels = EXCLUDED.eligible_levels,
                   version = EXCLUDED.version
               WHERE funding_schemes.version <= EXCLUDED.version""",
            {**scheme, "max_amount_eur": scheme.get("max_amount_eur"), "code": code, "version": version},
        )

    def schemes_valid_on(self, codes: list[str], today: date) -> list[str]:
        """Which of these scheme codes are of schemes valid today."""
        return [r["code"] for r in self.fetch_all(
            """SELECT code FROM funding_schemes WHERE code = ANY(%(codes)s::text[])
                 AND valid_from <= %(today)s AND (valid_until IS NULL OR valid_until >= %(today)s)""",
            {"codes": codes, "today": today})]

    def schemes_for(self, situation: str, today: date) -> list[dict]:
        """Schemes valid today that are open to ``situation`` (no listed situations: open to all)."""
        return self.fetch_all(
            """SELECT code, name, funder, valid_until, max_amount_eur FROM funding_schemes
               WHERE valid_from <= %(today)s AND (valid_until IS NULL OR valid_until >= %(today)s)
                 AND (cardinality(eligible_situations) = 0 OR %(situation)s = ANY(eligible_situations))
               ORDER BY code""",
            {"situation": situation, "today": today},
        )
