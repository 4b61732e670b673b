"""Search answers kept in memory, so a popular search costs one lookup instead of a query
over the whole read model (search engines keep such a request cache too).

An answer is kept under the read model's generation it was computed at (``read_model`` in the
search database, raised in the same transaction as every change) and served only while that is
still the current generation: a change a provider published is never hidden behind an old
answer. Only for a backend whose writes commit with that generation (``postgres``); OpenSearch
makes a write visible at its own refresh and has its own request cache.
"""
from __future__ import annotations

from typing import Hashable

from cachetools import LRUCache
from nameko.extensions import DependencyProvider

DEFAULT_ENTRIES = 500   # ~25 KB per answer (20 hits): ~12 MB


class Answers:
    """Least recently used answers, at most ``entries`` (0: keep none)."""

    def __init__(self, entries: int):
        self._kept: LRUCache | None = LRUCache(maxsize=entries) if entries > 0 else None

    def get(self, key: Hashable, generation: int) -> dict | None:
        found = self._kept.get(key) if self._kept is not None else None
        return found[1] if found is not None and found[0] == generation else None

    def put(self, key: Hashable, generation: int, answer: dict) -> None:
        if self._kept is None:
            return
        kept = self._kept.get(key)
        if kept is None or kept[0] <= generation:    # a slow, older search does not replace a newer one
            self._kept[key] = (generation, answer)


class AnswerCache(DependencyProvider):
    """One ``Answers`` per service container (workers come and go; the answers stay)."""

    def setup(self):
        self.answers = Answers(int(self.container.config.get("SEARCH_CACHE_ENTRIES", DEFAULT_ENTRIES)))

    def get_dependency(self, worker_ctx):
        return self.answers
