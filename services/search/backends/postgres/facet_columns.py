"""Filters, facets and sorting of the ``postgres`` backend, in memory.

Counting facets under every other filter over 20,000 courses and 100,000 offerings cost
PostgreSQL 40-150 ms per search on this machine (per-row costs); the same counts over numpy
columns cost a few milliseconds. So the search service keeps the narrow part of the read model
(the ``facts`` per course and their ``offerings``) as columns in memory, and PostgreSQL does
what it is good at: the Dutch full-text match and rank, and the page's documents and snippets
(store.py).

The columns follow the read model by its generation: every transaction that changes it raises
``read_model.generation`` and stamps the courses it changed with the new generation (in commit
order: store.py ``before_commit``), so ``refresh`` reads only the courses changed since it last
looked. A course's offerings are appended anew and the old ones marked dead; dead rows are
dropped when they are the majority. Another store (one lost and made anew) is read whole.

The answers are the same as the SQL of the read model would give (tests/search/test_behaviour.py
compares them with an independent oracle): offering filters hold for one and the same offering;
a facet leaves its own filter out; ties are ordered by title, then course id (code point order,
as PostgreSQL's C collation).
"""
from __future__ import annotations

import bisect
import functools
import logging
import math
import operator
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from services.contracts.filters import TAGS
from services.contracts.search import SearchRequest
from services.search.rules import SITUATION_BOOST, has_offering_filters
from services.search.store import UNIVERSES, UUID_BYTES, SearchStore, TextMatches

log = logging.getLogger(__name__)
EPOCH = date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).max   # sorts last, as NULLS LAST
EARTH_KM = 6371.0
BYTE_BITS = (np.arange(256)[:, None] >> np.arange(8)) & 1   # [byte value, bit]: is the bit set


def day(d: date) -> int:
    return (d - EPOCH).days


class Columns:
    """Equally long numpy columns that grow by appending (capacity doubles)."""

    def __init__(self, **dtypes):
        self.n = 0
        self._data = {name: np.zeros(0, dtype=dtype) for name, dtype in dtypes.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name][: self.n]

    def add(self, name: str, dtype) -> None:
        """A new column, zeros in every row there is."""
        capacity = max((len(col) for col in self._data.values()), default=0)
        self._data[name] = np.zeros(capacity, dtype=dtype)

    def extend(self, count: int) -> range:
        """``count`` new rows (zeros), to be filled through ``[name][rows]``."""
        need = self.n + count
        for name, col in self._data.items():
            if need > len(col):
                grown = np.zeros(max(need, 2 * len(col), 1024), dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                self._data[name] = grown
        rows = range(self.n, need)
        self.n = need
        return rows

    def keep(self, mask: np.ndarray) -> None:
        """Only the rows where ``mask`` is true stay (in their order)."""
        for name, col in self._data.items():
            self._data[name] = col[: self.n][mask].copy()
        self.n = int(np.count_nonzero(mask))


@dataclass
class Page:
    """What the columns answer: the page's courses in order with their figures, the total and
    the facet counts."""
    course_ids: list[str]
    figures: list[dict]
    total: int
    facets: dict[str, dict[str, int]]


class FacetIndex:
    """The ``facts`` and ``offerings`` of the read model as columns; one per backend instance,
    shared by its concurrent searches."""

    def __init__(self, drop_dead_after: int = 10_000):
        self._lock = threading.Lock()
        self.drop_dead_after = drop_dead_after   # dead offering rows kept before they are dropped
        self.store, self.generation = None, -1   # nothing read yet
        self._empty()

    def _empty(self) -> None:
        self.rows: dict[str, int] = {}           # course id (as text) -> row of the course columns
        self.course_ids: list[str] = []
        self._by_id: tuple | None = None   # course ids as bytes, sorted; their rows; rows_of's look-up
        self._new_rows: list[int] = []     # courses added since: merged into _by_id when next looked up
        self.titles: list[str] = []
        # every course's (title, id) in sort order: course_columns' title_rank is a course's place
        # in it; kept by moving the few courses a change touches (a sort of all, for each new
        # course, cost a search process a second at 200,000 courses)
        self._title_order: list[tuple[str, str]] | None = None
        self._retitled: set[int] = set()
        self.funding: list[tuple[str, ...]] = []
        self.courses = Columns(published=bool, last_start=np.int32, next_start=np.int32, min_price=np.float64,
                               level_bits=np.int64, sector_bits=np.int64, situation_bits=np.int64,
                               mode_bits=np.int64, province_bits=np.int64, title_rank=np.int32)
        self.offerings = Columns(course=np.int32, start=np.int32, open=bool, mode=np.int8, province=np.int8,
                                 lat=np.float64, lon=np.float64, price=np.float64, alive=bool)
        self.offering_rows: dict[int, range] = {}   # course row -> its offerings (appended together)
        # the facets kept as tags (contracts/filters.py: the languages courses are taught in, ...):
        # one boolean column per value in ``courses`` (named "<facet>:<value>"), added when the
        # value is first seen (ISO 639-1 has 183 languages: too many for a bit mask, and a
        # catalogue uses a few)
        self.tags: dict[str, list[str]] = {f.name: [] for f in TAGS}
        self.dead = 0

    # following the read model

    def refresh(self, tx: SearchStore) -> None:
        """Read what changed since the last refresh (everything the first time)."""
        with self._lock:
            store, generation = tx.read_model()
            if (store, generation) == (self.store, self.generation):
                return
            if store != self.store:              # another store (the first, or one made anew): read it whole
                self._empty()
                self.store, self.generation = store, -1
            whole, started = self.generation == -1, time.perf_counter()
            generation, changed = tx.changed_courses(self.generation)
            self._apply(changed)
            self.generation = generation
            if whole:
                log.info("search columns read whole: %d courses, %d offerings in %.1f s",
                         self.courses.n, self.offerings.n, time.perf_counter() - started)

    def _apply(self, changed: list[dict]) -> None:
        if not changed:
            return
        new = [r for r in changed if r["course_id"] not in self.rows]
        for r, row in zip(new, self.courses.extend(len(new))):
            self.rows[r["course_id"]] = row
            self.course_ids.append(r["course_id"])
            self.titles.append(r["title"])
            self.funding.append(())
        added = [self.rows[r["course_id"]] for r in new]
        self._new_rows.extend(added)
        self._retitled.update(added)                # not in the title order yet
        self.courses["title_rank"][added] = -1
        rows = np.array([self.rows[r["course_id"]] for r in changed], dtype=np.int64)
        for r, row in zip(changed, rows.tolist()):
            if self.titles[row] != r["title"] and row not in self._retitled:
                if self._title_order is not None:
                    self._title_order_remove(row)     # while ``titles`` still has its old title
                self._retitled.add(row)
            self.titles[row] = r["title"]
            self.funding[row] = tuple(r["funding"])
        c = self.courses
        c["published"][rows] = [r["published"] for r in changed]
        c["last_start"][rows] = [r["last_start"] if r["last_start"] is not None else -1 for r in changed]
        c["next_start"][rows] = [r["next_start"] if r["next_start"] is not None else NO_DATE for r in changed]
        c["min_price"][rows] = [r["min_price"] if r["min_price"] is not None else math.inf for r in changed]
        for name in ("level_bits", "sector_bits", "situation_bits", "mode_bits", "province_bits"):
            c[name][rows] = [r[name] for r in changed]
        for facet, seen in self.tags.items():
            values = [(r["tags"] or {}).get(facet) or () for r in changed]
            for value in sorted({v for vs in values for v in vs} - set(seen)):
                seen.append(value)
                c.add(f"{facet}:{value}", bool)
            for value in seen:
                c[f"{facet}:{value}"][rows] = [value in vs for vs in values]
        self._replace_offerings(changed, rows)

    def _replace_offerings(self, changed: list[dict], rows: np.ndarray) -> None:
        o = self.offerings
        for row in rows:
            old = self.offering_rows.pop(int(row), None)
            if old is not None:
                o["alive"][old.start:old.stop] = False
                self.dead += len(old)
        counts = [len(r["starts"] or ()) for r in changed]
        added = o.extend(sum(counts))
        if len(added):
            o["course"][added.start:] = np.repeat(rows, counts)
            for column, key in (("start", "starts"), ("open", "open"), ("mode", "modes"), ("province", "provinces"),
                                ("lat", "lats"), ("lon", "lons"), ("price", "prices")):
                # (a missing place is None: NaN in the float columns, never within a radius)
                o[column][added.start:] = np.array([v for r in changed for v in (r[key] or ())],
                                                   dtype=o[column].dtype)
            o["alive"][added.start:] = True
            at = added.start
            for row, count in zip(rows, counts):
                if count:
                    self.offering_rows[int(row)] = range(at, at + count)
                    at += count
        if self.dead > self.drop_dead_after and self.dead > o.n // 2:
            self._drop_dead()

    def _drop_dead(self) -> None:
        o = self.offerings
        o.keep(o["alive"])
        self.dead = 0
        # each course's offerings are still one run, in the same order
        course = o["course"]
        starts = np.flatnonzero(np.r_[True, course[1:] != course[:-1]]) if o.n else np.zeros(0, dtype=np.int64)
        ends = np.r_[starts[1:], o.n]
        self.offering_rows = {int(course[s]): range(int(s), int(e)) for s, e in zip(starts, ends)}

    def _order_titles(self) -> None:
        # ties of every sort order: title, then course id (code point order = PostgreSQL's C collation)
        rank = self.courses["title_rank"]
        if self._title_order is None or len(self._retitled) > 1000:
            order = sorted(range(self.courses.n), key=lambda i: (self.titles[i], self.course_ids[i]))
            rank[order] = np.arange(len(order), dtype=np.int32)
            self._title_order = [(self.titles[i], self.course_ids[i]) for i in order]
        else:       # each course taken out (in _apply) is put back at its new title's place
            for row in sorted(self._retitled):
                key = (self.titles[row], self.course_ids[row])
                at = bisect.bisect_left(self._title_order, key)
                self._title_order.insert(at, key)
                rank[rank >= at] += 1
                rank[row] = at
        self._retitled.clear()

    def _title_order_remove(self, row: int) -> None:
        """Take a course whose title changes out of the order (its place is its title_rank)."""
        rank = self.courses["title_rank"]
        at = int(rank[row])
        del self._title_order[at]
        rank[rank > at] -= 1
        rank[row] = -1

    def rows_of(self, course_ids: np.ndarray) -> np.ndarray:
        """The rows of these course ids (``UUID_BYTES``); -1 for one not read (yet)."""
        # binary search over the ids' first 8 bytes as integers (over 16-byte strings numpy
        # compares byte by byte: several times slower); the last 8 bytes must agree as well.
        # Should two courses share their first 8 bytes, over the whole 16.
        if self._by_id is None or len(self._new_rows) > 1000:
            ids = np.array([uuid.UUID(c).bytes for c in self.course_ids], dtype=UUID_BYTES)
            order = np.argsort(ids, kind="stable")
            self._by_id = _look_up(ids[order], order)
        elif self._new_rows:        # the courses added since, merged in (parsing every id again cost 0.6 s)
            added = np.array(self._new_rows, dtype=np.int64)
            new_ids = np.array([uuid.UUID(self.course_ids[r]).bytes for r in added], dtype=UUID_BYTES)
            order = np.argsort(new_ids, kind="stable")
            ids, rows = self._by_id[:2]
            at = np.searchsorted(ids, new_ids[order])
            self._by_id = _look_up(np.insert(ids, at, new_ids[order]), np.insert(rows, at, added[order]))
        self._new_rows.clear()
        ids, rows, first, last, shared_first = self._by_id
        if not len(ids):
            return np.full(len(course_ids), -1, dtype=np.int64)
        if shared_first:
            at = np.minimum(np.searchsorted(ids, course_ids), len(ids) - 1)
            return np.where(ids[at] == course_ids, rows[at], -1)
        wanted_first, wanted_last = _halves(course_ids)
        at = np.minimum(np.searchsorted(first, wanted_first), len(ids) - 1)
        return np.where((first[at] == wanted_first) & (last[at] == wanted_last), rows[at], -1)

    # answering

    def search(self, req: SearchRequest, text: TextMatches | None, today: date,
               point: tuple[float, float] | None, only: list[str] | None = None) -> Page:
        """``text`` is every course the words match with its text rank (None: no words);
        ``only`` the course ids to answer among (None: every course)."""
        with self._lock:
            if self._retitled:          # courses new or retitled since the last search
                self._order_titles()
            return _Search(self, req, today, point).answer(text, only)


def _mask(facet: str, values: list[str]) -> int:
    return sum(1 << UNIVERSES[facet].index(v) for v in values)


class _Search:
    """One search over the columns (with the index locked)."""

    def __init__(self, index: FacetIndex, req: SearchRequest, today: date, point):
        self.index, self.req, self.today, self.point = index, req, day(today), point
        self.c = index.courses
        self.n = self.c.n

    def answer(self, text: TextMatches | None, only: list[str] | None = None) -> Page:
        req, c = self.req, self.c
        candidate = c["published"] & (c["last_start"] >= self.today)
        if only is not None:
            rows = self.index.rows_of(np.array([uuid.UUID(i).bytes for i in only], dtype=UUID_BYTES))
            among = np.zeros(self.n, dtype=bool)
            among[rows[rows >= 0]] = True
            candidate &= among
        if req.funding:
            candidate &= np.fromiter((req.funding in f for f in self.index.funding), dtype=bool, count=self.n)
        rank = np.zeros(self.n)
        if text is not None:
            rows = self.index.rows_of(text.course_ids)
            read = rows >= 0
            matched = np.zeros(self.n, dtype=bool)
            matched[rows[read]] = True
            candidate &= matched
            rank[rows[read]] = text.ranks[read]
        # sorted otherwise than by relevance, a text's ranks are 0 but for a relaxed plan's words matched
        words = rank.copy() if req.sort != "relevance" and text is not None and text.ranks.any() else None
        rank += 0.01
        if req.situation:
            boosted = (c["situation_bits"] & _mask("situation", [req.situation])) != 0
            rank = np.where(boosted, rank * SITUATION_BOOST, rank)
        figures = self._offerings(candidate) if has_offering_filters(req, self.point) else self._ahead()
        candidate = candidate & figures["has_offering"]
        # the course facets asked for: each one's courses (a facet's counts leave out its own)
        course_ok = {name: (c[f"{name}_bits"] & _mask(name, getattr(req, name))) != 0
                     for name in ("level", "sector") if getattr(req, name)}
        course_ok.update({f.name: self._any_tag(f.name, getattr(req, f.name)) for f in TAGS if getattr(req, f.name)})

        def courses_but(facet: str | None = None):
            return functools.reduce(operator.and_, (ok for name, ok in course_ok.items() if name != facet), candidate)
        offer_ok = figures["offer_ok"]
        hit = courses_but() & offer_ok
        facets = {
            "level": self._count("level", c["level_bits"], courses_but("level") & offer_ok),
            "sector": self._count("sector", c["sector_bits"], courses_but("sector") & offer_ok),
            "situation": self._count("situation", c["situation_bits"], hit),
            "mode": self._count("mode", figures["mode_bits"], courses_but()),
            "province": self._count("province", figures["province_bits"], courses_but()),
            **{f.name: self._count_tags(f.name, courses_but(f.name) & offer_ok) for f in TAGS},
        }
        hits = np.flatnonzero(hit)
        primary = {"relevance": -rank, "start_date": figures["next_start"], "price": figures["min_price"],
                   "distance": figures["distance"]}[req.sort][hits]
        start = (req.page - 1) * req.page_size
        if words is None:
            order = first_in_order(primary, c["title_rank"][hits], start + req.page_size)
        else:       # a relaxed search sorted otherwise: more of the words first, then the order asked
            order = np.lexsort((c["title_rank"][hits], primary, -words[hits]))
        page = hits[order[start:start + req.page_size]]
        return Page(
            course_ids=[self.index.course_ids[r] for r in page],
            figures=[{
                "rank": float(rank[r]),
                "distance_km": None if math.isinf(figures["distance"][r]) else float(figures["distance"][r]),
                "next_start": None if figures["next_start"][r] == NO_DATE
                else (EPOCH + timedelta(days=int(figures["next_start"][r]))).isoformat(),
                "min_price": None if math.isinf(figures["min_price"][r]) else float(figures["min_price"][r]),
            } for r in page],
            total=len(hits), facets=facets)

    def _any_tag(self, facet: str, values: list[str]) -> np.ndarray:
        """Courses with any of these values of a facet kept as tags (one no course has: none)."""
        found = np.zeros(self.n, dtype=bool)
        for value in values:
            if value in self.index.tags[facet]:
                found |= self.c[f"{facet}:{value}"]
        return found

    def _count_tags(self, facet: str, keep: np.ndarray) -> dict[str, int]:
        counts = {value: int(np.count_nonzero(self.c[f"{facet}:{value}"] & keep)) for value in self.index.tags[facet]}
        return {value: n for value, n in sorted(counts.items()) if n}

    def _ahead(self) -> dict:
        """Without offering filters: the figures of each course's offerings still ahead."""
        c = self.c
        return {"has_offering": True, "offer_ok": True, "next_start": c["next_start"], "min_price": c["min_price"],
                "distance": np.full(self.n, math.inf), "mode_bits": c["mode_bits"], "province_bits": c["province_bits"]}

    def _offerings(self, candidate: np.ndarray) -> dict:
        """Per candidate course, from its open offerings ahead that pass every offering filter
        but mode and province (a course without one, ``has_offering`` false, is no candidate at
        all): whether one passes those two as well (``offer_ok``) and its figures, and the modes
        (provinces) of those that pass the province (mode) filter, for the facets. (Only the
        candidates' offerings are looked at: words match a few thousand of all courses.)"""
        req, o = self.req, self.index.offerings
        ok = o["alive"] & o["open"] & (o["start"] >= self.today) & candidate[o["course"]]
        if req.start_from:
            ok &= o["start"] >= day(req.start_from)
        if req.start_to:
            ok &= o["start"] <= day(req.start_to)
        if req.max_price is not None:
            ok &= o["price"] <= float(req.max_price)
        km = None
        if self.point:
            lat, lon = self.point
            dlat = req.radius_km / 111.0
            dlon = req.radius_km / (111.0 * max(0.1, math.cos(math.radians(lat))))
            ok &= (np.abs(o["lat"] - lat) <= dlat) & (np.abs(o["lon"] - lon) <= dlon)   # NaN (online): false
        at = np.flatnonzero(ok)
        if self.point:
            km = _km(lat, lon, o["lat"][at], o["lon"][at])
            near = km <= req.radius_km
            at, km = at[near], km[near]
        course = o["course"][at]
        mode, province = o["mode"][at], o["province"][at]
        mode_ok = np.isin(mode, [UNIVERSES["mode"].index(m) for m in req.mode]) if req.mode else np.ones(len(at), bool)
        province_ok = (np.isin(province, [UNIVERSES["province"].index(p) for p in req.province]) if req.province
                       else np.ones(len(at), bool))
        both = mode_ok & province_ok
        has_offering = np.zeros(self.n, dtype=bool)
        has_offering[course] = True
        offer_ok = np.zeros(self.n, dtype=bool)
        offer_ok[course[both]] = True
        figures = {"has_offering": has_offering, "offer_ok": offer_ok}
        for name, values, empty, dtype in (("next_start", o["start"][at], NO_DATE, np.int32),
                                           ("min_price", o["price"][at], math.inf, np.float64),
                                           ("distance", km, math.inf, np.float64)):
            column = np.full(self.n, empty, dtype=dtype)
            if values is not None:
                np.minimum.at(column, course[both], values[both])
            figures[name] = column
        mode_bits = np.zeros(self.n, dtype=np.int64)
        np.bitwise_or.at(mode_bits, course[province_ok], np.left_shift(1, mode[province_ok].astype(np.int64)))
        placed = mode_ok & (province >= 0)
        province_bits = np.zeros(self.n, dtype=np.int64)
        np.bitwise_or.at(province_bits, course[placed], np.left_shift(1, province[placed].astype(np.int64)))
        figures.update(mode_bits=mode_bits, province_bits=province_bits)
        return figures

    @staticmethod
    def _count(facet: str, bits: np.ndarray, keep: np.ndarray) -> dict[str, int]:
        # per byte of the bits: how many courses have each of its 256 values, times which
        # bits each value has (two passes over the courses per 8 facet values)
        values, kept = UNIVERSES[facet], bits[keep]
        counts = np.concatenate([np.bincount((kept >> shift) & 0xFF, minlength=256) @ BYTE_BITS
                                 for shift in range(0, len(values), 8)])
        return {value: int(n) for value, n in zip(values, counts) if n}


def first_in_order(primary: np.ndarray, tie: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` first by ``primary``, then ``tie`` (unique), in that order: what
    ``np.lexsort((tie, primary))[:k]`` gives. A first page of thousands of hits needs only its
    first few sorted: the k-th primary value splits them in linear time."""
    n = len(primary)
    if k <= 0 or n < 1000 or 4 * k > n:
        return np.lexsort((tie, primary))[:max(k, 0)]
    kth = np.partition(primary, k - 1)[k - 1]
    if kth != kth:                              # NaN: fewer than k comparable values
        return np.lexsort((tie, primary))[:k]
    before = np.flatnonzero(primary < kth)
    equal = np.flatnonzero(primary == kth)
    need = k - len(before)                      # 1 <= need <= len(equal)
    if len(equal) > need:
        equal = equal[np.argpartition(tie[equal], need - 1)[:need]]
    chosen = np.concatenate([before, equal])
    return chosen[np.lexsort((tie[chosen], primary[chosen]))]


def _look_up(ids: np.ndarray, rows: np.ndarray) -> tuple:
    """rows_of's look-up of sorted ids and their rows."""
    first, last = _halves(ids)
    return ids, rows, first, last, bool(len(first) > 1 and (first[1:] == first[:-1]).any())


def _halves(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """16-byte ids as their first and last 8 bytes, unsigned integers in the same order."""
    halves = np.ascontiguousarray(ids).view(">u8").astype(np.uint64)
    return halves[0::2], halves[1::2]


def _km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distance in km (haversine), as ``places.km_between`` for one pair."""
    dlat, dlon = np.radians(lats - lat) / 2, np.radians(lons - lon) / 2
    a = np.sin(dlat) ** 2 + math.cos(math.radians(lat)) * np.cos(np.radians(lats)) * np.sin(dlon) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))
