"""The first page of a sorted search is found without sorting every hit: exactly as sorting
every hit by (primary, title order) and taking the first k."""
from __future__ import annotations

import numpy as np
import pytest

from services.search.backends.postgres.facet_columns import first_in_order


@pytest.mark.parametrize("n", [0, 5, 999, 1000, 5000, 20000])
@pytest.mark.parametrize("distinct", [1, 3, 50, None])     # primary values: all equal .. all distinct
@pytest.mark.parametrize("k", [0, 1, 20, 40, 300, 1250, 6000])
def test_first_k_as_a_full_sort(n, distinct, k):
    rng = np.random.default_rng(n * 31 + (distinct or 0) * 7 + k)
    primary = rng.random(n) if distinct is None else rng.integers(0, distinct, n).astype(np.float64)
    primary[rng.random(n) < 0.05] = np.inf                     # courses without the figure sort last
    tie = rng.permutation(n).astype(np.int32)                  # title order: unique
    assert first_in_order(primary, tie, k).tolist() == np.lexsort((tie, primary))[:k].tolist()


def test_first_k_of_integer_dates():
    rng = np.random.default_rng(3)
    primary = rng.integers(20000, 20400, 20000).astype(np.int32)
    tie = rng.permutation(20000).astype(np.int32)
    assert first_in_order(primary, tie, 20).tolist() == np.lexsort((tie, primary))[:20].tolist()
