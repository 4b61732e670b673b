"""The ``postgres`` backend: the read model in the search database (store.py: every SQL
statement); filters, facets and sorting over its columns in memory (facet_columns.py), the
Dutch full-text match and rank and the page's documents and snippets in PostgreSQL, with the
text matches, typo corrections and hits of recent words kept per read-model generation
(caches.py)."""
from __future__ import annotations

from services.search.backends.base import SearchBackend
from services.search.caches import KeptPerGeneration, text_match_cache
from services.search.backends.postgres.facet_columns import FacetIndex


class PostgresBackend(SearchBackend):
    """The read model in the search database; filters, facets and sorting over its columns in
    memory (backends/postgres/facet_columns.py), text matching and the page's documents in PostgreSQL."""
    name = "postgres"
    transactional = True

    def __init__(self, text_cache_mb: float):
        self.index = FacetIndex()
        self.texts = text_match_cache(text_cache_mb)
        # typo corrections of the words of recent searches (new words in the read model raise
        # its generation too); kept only where text matches are
        self.corrected = KeptPerGeneration(10_000 if text_cache_mb > 0 else 0)
        # a hit's document and snippet (ts_headline) for some words: the same popular courses
        # come back on many pages (~2 KB each)
        self.shown = KeptPerGeneration(5_000 if text_cache_mb > 0 else 0)

    def put(self, tx, doc):
        return tx.upsert_many([doc]) == 1

    def put_many(self, tx, docs):
        return tx.upsert_many(docs)     # one statement per table, in course order itself

    def rebuild_many(self, tx, docs):
        return tx.upsert_many(docs, replace_same_version=True)

    def count(self, tx):
        return tx.count_documents()

    def versions(self, tx, after, limit):
        return tx.document_versions(after, limit)

    def outdated(self, tx, analysis):
        return tx.outdated_documents(analysis)

    def finish_rebuild(self, tx, seen, started):
        return tx.unpublish_missing(seen, started)

    def corrections(self, tx, words):
        return self.corrected.get_or_compute(tuple(words), tx.read_model(), lambda: tx.corrections(words))

    def warm(self, tx):
        self.index.refresh(tx)

    def search(self, tx, req, plan, today, point, only=None):
        self.index.refresh(tx)
        ranked = req.sort == "relevance"
        text = None if plan is None else self.texts.get_or_compute(
            (plan.key, ranked), tx.read_model(), lambda: tx.text_matches(plan, ranked=ranked))
        page = self.index.search(req, text, today, point, only)
        rows = self._hits(tx, page.course_ids, plan)
        return ([{**rows[cid], **figures} for cid, figures in zip(page.course_ids, page.figures) if cid in rows],
                page.total, page.facets)

    def _hits(self, tx, course_ids, plan) -> dict:
        """The page's hits by course id (a course gone since is not there), from those kept
        at this generation and PostgreSQL for the rest."""
        generation, words = tx.read_model(), None if plan is None else plan.key
        rows = {cid: self.shown.get((cid, words), generation) for cid in course_ids}
        missing = [cid for cid, row in rows.items() if row is None]
        for row in tx.hits(missing, plan) if missing else ():
            rows[row["course_id"]] = row
            self.shown.put((row["course_id"], words), generation, row)
        return {cid: row for cid, row in rows.items() if row is not None}

    def suggest(self, tx, prefix, today, limit):
        return tx.suggest(prefix, today, limit)
