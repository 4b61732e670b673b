"""Search answers kept in memory, so a popular search costs one lookup instead of a query
over the whole read model (search engines keep such a request cache too); and, one level
down (``KeptPerGeneration``, in the postgres backend), the courses that words match, the typo
corrections of words and the hits shown for words, so the same words under other filters,
another sort or the next page skip PostgreSQL's text match and rank, and a popular course on
another page skips its snippet (as OpenSearch caches a query's matches).

Each is kept under the read model's generation it was computed at (``read_model`` in the
search database, raised in the same transaction as every change) and served only while that is
still the current generation: a change a provider published is never hidden behind an old
answer. Only for a backend whose writes commit with that generation (``postgres``); OpenSearch
makes a write visible at its own refresh and has its own request cache.
"""
from __future__ import annotations

import threading
from typing import Callable, Hashable

from cachetools import LRUCache
from nameko.extensions import DependencyProvider



class KeptPerGeneration:
    """What was worked out for a key (an answer; words' matches, typo corrections, a hit as the
    page shows it for some words), as of one generation of the read model (a plain counter, or
    ``SearchStore.read_model()``: the store and its counter): the most recently used, at most
    ``maxsize`` (in ``sizeof`` units, 1 per entry by default; 0 keeps none). Thread-safe."""

    def __init__(self, maxsize: int, sizeof: Callable = lambda value: 1):
        self._sizeof = sizeof
        self._kept = LRUCache(maxsize=maxsize, getsizeof=lambda kept: sizeof(kept[1])) if maxsize > 0 else None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, generation: Hashable):
        """The value kept for ``key`` at ``generation``, or None."""
        if self._kept is None:
            return None
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and kept[0] == generation:
            self.hits += 1
            return kept[1]
        self.misses += 1
        return None

    def get_or_compute(self, key: Hashable, generation: Hashable, compute: Callable):
        """The value kept for ``key`` at ``generation``, else ``compute()`` (and keep it)."""
        found = self.get(key, generation)
        if found is None:
            found = compute()
            self.put(key, generation, found)
        return found

    def put(self, key: Hashable, generation: Hashable, value) -> None:
        if self._kept is None or self._sizeof(value) > self._kept.maxsize:
            return
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or not _newer(kept[0], generation):   # a slower, older search keeps out
                self._kept[key] = (generation, value)


def _newer(a, b) -> bool:
    """Generation ``a`` came after ``b`` (those of another store are not comparable)."""
    if isinstance(a, tuple):
        return a[0] == b[0] and a[1] > b[1]
    return a > b


class AnswerCache(DependencyProvider):
    """The search answers of a service container, at most SEARCH_CACHE_ENTRIES (workers come and
    go; the answers stay)."""

    def setup(self):
        self.answers = KeptPerGeneration(int(self.container.config["SEARCH_CACHE_ENTRIES"]))

    def get_dependency(self, worker_ctx):
        return self.answers


def text_match_cache(megabytes: float) -> KeptPerGeneration:
    """Text matches (``store.TextMatches``) by query plan, at most ``megabytes`` of them."""
    return KeptPerGeneration(int(megabytes * 2**20), lambda matches: sum(a.nbytes for a in matches) + 200)
