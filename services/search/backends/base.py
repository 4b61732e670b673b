"""The interface of a place the search read model lives in: the ``postgres`` backend (the
default: documents in the search database, filters and facets over in-memory columns) and the
``opensearch`` backend (an index behind an alias, for deployments that outgrow one machine).

Either way the search database keeps the inbox (which events were applied) and the funding
schemes, so every method gets the open transaction ``tx``; the ``postgres`` backend also writes
its documents through it, atomically with the inbox.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, datetime

from services.contracts.search import SearchRequest
from services.search.analysis import QueryPlan
from services.search.store import SearchStore

Found = tuple[list[dict], int, dict]   # hits (rows), total, facets


class SearchBackend(ABC):
    name: str
    # its writes commit in the search database's transaction (so answers can be cached by the
    # read model's generation: services/search/caches.py)
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
        return sum(self.put(tx, doc) for doc in sorted(docs, key=course_order))

    def rebuild_many(self, tx: SearchStore, docs: list[dict]) -> int:
        """``put_many`` from a rebuild: the catalogue's copy also replaces the same version, so a
        read model that holds another state under one version is repaired. A backend whose
        rebuild fills a new read model (``begin_rebuild``) needs nothing more."""
        return self.put_many(tx, docs)

    @abstractmethod
    def count(self, tx: SearchStore) -> int: ...

    @abstractmethod
    def versions(self, tx: SearchStore, after: str | None, limit: int) -> list[dict]:
        """``{course_id, version, published}`` of every document after ``after``, by course id:
        what ``make reconcile`` compares with the catalogue."""

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
               point: tuple[float, float] | None, only: list[str] | None = None) -> Found:
        """``only``: answer among these course ids alone (which of them a saved search finds)."""

    @abstractmethod
    def suggest(self, tx: SearchStore, prefix: str, today: date, limit: int) -> list[str]: ...


def course_order(doc: dict) -> tuple:
    # one order for every writer: concurrent batches take their row locks in the same order
    return str(doc["course_id"]), doc["version"]
