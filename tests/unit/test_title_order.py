"""The in-memory columns keep every course's place in the title order (the tie-break of every
sort) and its id's place in the look-up as courses come and titles change, without sorting all
of them again: after any sequence of changes both must be what sorting from scratch gives."""
from __future__ import annotations

import random
import uuid

import numpy as np

from services.search.backends.postgres.facet_columns import FacetIndex
from services.search.store import UUID_BYTES

TITLES = ["Heftruck", "heftruck", "Heftruck basis", "Lassen", "Äpfel", "Zorg", "VCA", "VCA"]   # ties on purpose


def course(course_id: str, title: str) -> dict:
    return dict(course_id=course_id, title=title, funding=[], published=True, last_start=30000, next_start=30000,
                min_price=1.0, level_bits=1, sector_bits=1, situation_bits=1, mode_bits=1, province_bits=1, tags={},
                starts=[30000], open=[True], modes=[0], provinces=[0], lats=[52.0], lons=[5.0], prices=[1.0])


def expected_ranks(index: FacetIndex) -> list[int]:
    order = sorted(range(len(index.course_ids)), key=lambda i: (index.titles[i], index.course_ids[i]))
    ranks = [0] * len(order)
    for place, row in enumerate(order):
        ranks[row] = place
    return ranks


def test_title_ranks_and_id_look_up_follow_every_change_as_a_fresh_sort_would():
    rng = random.Random(3)
    index = FacetIndex()
    ids: list[str] = []
    for step in range(60):
        batch = {}
        for _ in range(rng.randint(1, 5)):          # new courses
            ids.append(str(uuid.UUID(int=rng.getrandbits(128))))
            batch[ids[-1]] = course(ids[-1], rng.choice(TITLES) + rng.choice(["", " 2"]))
        for _ in range(rng.randint(0, 4)):          # titles of known courses changed (or not)
            known = rng.choice(ids)
            batch[known] = course(known, rng.choice(TITLES))
        index._apply(list(batch.values()))
        if step % 3 == 0:     # sometimes two batches arrive before the next search orders them
            continue
        index._order_titles()
        assert index.courses["title_rank"].tolist() == expected_ranks(index), f"step {step}"
        wanted = rng.sample(ids, min(len(ids), 20)) + [str(uuid.uuid4())]
        packed = np.array([uuid.UUID(i).bytes for i in wanted], dtype=UUID_BYTES)
        assert index.rows_of(packed).tolist() == [index.rows.get(i, -1) for i in wanted]
    assert len(ids) > 150


def test_many_changes_at_once_are_sorted_whole_and_stay_right():
    index = FacetIndex()
    ids = [str(uuid.UUID(int=n * 7919)) for n in range(1, 1500)]
    index._apply([course(i, TITLES[n % len(TITLES)]) for n, i in enumerate(ids)])
    index._order_titles()
    index._apply([course(i, "Anders") for i in ids[:3]])
    index._order_titles()
    assert index.courses["title_rank"].tolist() == expected_ranks(index)
