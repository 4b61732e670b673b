"""The two places the search read model can live, behind one interface (DESIGN.md):
``postgres`` (default: the documents table in the search database) and ``opensearch``
(a versioned index behind an alias, for deployments that outgrow one machine).

Either way the search database keeps the inbox (which events were applied) and the funding
schemes, so every method gets the open transaction ``tx``; the ``postgres`` backend also writes
its documents through it, atomically with the inbox.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, datetime

from nameko.extensions import DependencyProvider
from pydantic import Field, ValidationInfo, field_validator

from services.chassis.settings import DatabaseServiceSettings
from services.contracts.rpc import SearchRequest
from services.search import analysis
from services.search.analysis import QueryPlan
from services.search.answers import DEFAULT_ENTRIES, DEFAULT_TEXT_MB, KeptPerGeneration, text_match_cache
from services.search.memory import FacetIndex
from services.search.store import SearchStore

Found = tuple[list[dict], int, dict]   # hits (rows), total, facets


class SearchBackend(ABC):
    name: str
    # its writes commit in the search database's transaction (so answers can be cached by the
    # read model's generation: services/search/answers.py)
    transactional = False

    def start(self) -> None:
        """Connect and make sure the index exists."""

    def stop(self) -> None:
        """Release connections."""

    @abstractmethod
    def put(self, tx: SearchStore, doc: dict) -> bool:
        """Store a document unless a newer version is there. True if stored."""

    def put_many(self, tx: SearchStore, docs: list[dict]) -> int:
        """``put`` for each document, in course and version order. How many were stored."""
        return sum(self.put(tx, doc) for doc in sorted(docs, key=_course_order))

    def rebuild_many(self, tx: SearchStore, docs: list[dict]) -> int:
        """``put_many`` from a rebuild: the catalogue's copy also replaces the same version, so a
        read model that holds another state under one version is repaired. A backend whose
        rebuild fills a new read model (``begin_rebuild``) needs nothing more."""
        return self.put_many(tx, docs)

    @abstractmethod
    def count(self, tx: SearchStore) -> int: ...

    @abstractmethod
    def outdated(self, tx: SearchStore, analysis: str) -> int:
        """How many documents were built with other indexing rules than ``analysis``."""

    def begin_rebuild(self) -> None:
        """A full rebuild starts: ``put`` calls until ``finish_rebuild`` fill the new read model."""

    @abstractmethod
    def finish_rebuild(self, tx: SearchStore, seen: list[str], started: datetime) -> int:
        """Every published course was put: hide the rest. Returns how many were hidden."""

    def corrections(self, tx: SearchStore, words: list[str]) -> dict[str, list[str]]:
        """Typo candidates per word, when the backend does not forgive typos itself."""
        return {}

    def warm(self, tx: SearchStore) -> None:
        """Load what searching keeps in memory (at start, so the first search does not wait)."""

    @abstractmethod
    def search(self, tx: SearchStore, req: SearchRequest, plan: QueryPlan | None, today: date,
               point: tuple[float, float] | None) -> Found: ...

    @abstractmethod
    def suggest(self, tx: SearchStore, prefix: str, today: date, limit: int) -> list[str]: ...


def _course_order(doc: dict) -> tuple:
    # one order for every writer: concurrent batches take their row locks in the same order
    return str(doc["course_id"]), doc["version"]


def plan_query(backend: SearchBackend, tx: SearchStore, q: str | None) -> QueryPlan | None:
    """How ``q`` is searched: synonyms, compounds and (where the backend needs them) typo
    candidates from its vocabulary. None when there are no words to search for."""
    if not q or not analysis.tokens(q):
        return None
    words = [w for w in analysis.tokens(q) if analysis.correctable(w) and w not in analysis.STOP_WORDS]
    return analysis.plan(q, analysis.default_synonyms(), analysis.default_lexicon(),
                         backend.corrections(tx, words))


def search_words(backend: SearchBackend, tx: SearchStore, req: SearchRequest, plan: QueryPlan | None, today: date,
                 point: tuple[float, float] | None) -> tuple[Found, QueryPlan | None]:
    """``backend.search``, and the plan it answered with: every word, or when no course has all
    of several (with the filters), any of them, the courses with more of them first, rather than
    nothing (``nederlands leren`` finds *Nederlands als tweede taal*)."""
    found = backend.search(tx, req, plan, today, point)
    if found[1] == 0 and plan is not None and len(plan.groups) > 1:
        plan = plan.relaxed()
        found = backend.search(tx, req, plan, today, point)
    return found, plan


class PostgresBackend(SearchBackend):
    """The read model in the search database; filters, facets and sorting over its columns in
    memory (memory.py), text matching and the page's documents in PostgreSQL."""
    name = "postgres"
    transactional = True

    def __init__(self, text_cache_mb: float = DEFAULT_TEXT_MB):
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

    def outdated(self, tx, analysis):
        return tx.outdated_documents(analysis)

    def finish_rebuild(self, tx, seen, started):
        return tx.unpublish_missing(seen, started)

    def corrections(self, tx, words):
        return self.corrected.get_or_compute(tuple(words), tx.read_model(), lambda: tx.corrections(words))

    def warm(self, tx):
        self.index.refresh(tx)

    def search(self, tx, req, plan, today, point):
        self.index.refresh(tx)
        ranked = req.sort == "relevance"
        text = None if plan is None else self.texts.get_or_compute(
            (plan.key, ranked), tx.read_model(), lambda: tx.text_matches(plan, ranked=ranked))
        page = self.index.search(req, text, today, point)
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


class Settings(DatabaseServiceSettings):
    search_backend: str = Field(default="postgres", pattern="^(postgres|opensearch)$",
                                description="where the read model lives: postgres or opensearch")
    opensearch_url: str | None = Field(default=None, validate_default=True,
                                       description="OpenSearch, e.g. http://127.0.0.1:9200")
    opensearch_index: str = Field(default="courses", pattern="^[a-z0-9_-]+$",
                                  description="the alias searched; indexes are named <alias>-v<n>")
    opensearch_analysis: str = Field(default="dutch", pattern="^(dutch|standard)$",
                                     description="text analysis of new indexes: dutch, or standard for emulators")

    search_cache_entries: int = Field(default=DEFAULT_ENTRIES, ge=0,
                                      description="search answers kept in memory (postgres backend; 0: none)")
    search_text_cache_mb: float = Field(
        default=DEFAULT_TEXT_MB, ge=0,
        description="megabytes of text matches kept in memory (postgres backend; 0: no matches, corrections or hits)")

    @field_validator("opensearch_url")
    @classmethod
    def _url_for_opensearch(cls, url: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("search_backend") == "opensearch" and not url:
            raise ValueError("SEARCH_BACKEND=opensearch needs OPENSEARCH_URL")
        return url

    def nameko_config(self) -> dict:
        return {**super().nameko_config(), "SEARCH_BACKEND": self.search_backend,
                "OPENSEARCH_URL": self.opensearch_url, "OPENSEARCH_INDEX": self.opensearch_index,
                "OPENSEARCH_ANALYSIS": self.opensearch_analysis,
                "SEARCH_CACHE_ENTRIES": self.search_cache_entries,
                "SEARCH_TEXT_CACHE_MB": self.search_text_cache_mb}


def make_backend(config: dict) -> SearchBackend:
    kind = config.get("SEARCH_BACKEND", "postgres")
    if kind == "opensearch":
        from services.search.opensearch import OpenSearchBackend
        if not config.get("OPENSEARCH_URL"):
            raise ValueError("SEARCH_BACKEND=opensearch needs OPENSEARCH_URL")
        return OpenSearchBackend(config["OPENSEARCH_URL"], config.get("OPENSEARCH_INDEX", "courses"),
                                 config.get("OPENSEARCH_ANALYSIS", "dutch"))
    return PostgresBackend(float(config.get("SEARCH_TEXT_CACHE_MB", DEFAULT_TEXT_MB)))


class Backend(DependencyProvider):
    """Injects the configured ``SearchBackend`` (one per service container)."""

    def setup(self):
        # connected (and the index made) in setup: every extension's setup runs before any
        # start, so the start-up rebuild (an entrypoint) finds the backend ready
        self.backend = make_backend(self.container.config)
        self.backend.start()

    def stop(self):
        self.backend.stop()

    def get_dependency(self, worker_ctx):
        return self.backend
