"""The in-memory columns find a course's row from its id as PostgreSQL sends it (16 bytes)."""
from __future__ import annotations

import uuid

import numpy as np

from services.search.backends.postgres.facet_columns import FacetIndex
from services.search.store import UUID_BYTES


def packed(ids: list[str]) -> np.ndarray:
    return np.frombuffer(b"".join(uuid.UUID(i).bytes for i in ids), dtype=UUID_BYTES)


def rows(index: FacetIndex, ids: list[str]) -> list[int]:
    return index.rows_of(packed(ids)).tolist()


def test_rows_of_ids_known_and_unknown():
    index = FacetIndex()
    index.course_ids = [str(uuid.uuid4()) for _ in range(500)]
    unknown = str(uuid.uuid4())
    wanted = [index.course_ids[7], unknown, index.course_ids[499], index.course_ids[0]]
    assert rows(index, wanted) == [7, -1, 499, 0]
    assert rows(index, []) == []


def test_rows_of_ids_that_share_their_first_eight_bytes():
    index = FacetIndex()
    twins = ["00000000-0000-0001-0000-000000000002", "00000000-0000-0001-0000-000000000001",
             "00000000-0000-0001-ffff-000000000000"]
    index.course_ids = [str(uuid.uuid4()) for _ in range(50)] + twins
    assert rows(index, twins + ["00000000-0000-0001-0000-000000000003"]) == [50, 51, 52, -1]


def test_rows_of_an_index_with_no_courses():
    assert rows(FacetIndex(), [str(uuid.uuid4())]) == [-1]
