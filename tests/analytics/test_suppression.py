"""Small groups stay hidden: primary and complementary suppression, checked by linear algebra
over random tables (no hidden cell follows from what is published), stable, and the same in a
report's rows and totals."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.analytics.domain import Table, hide, recoverable, suppress

tables = st.integers(1, 6).flatmap(lambda rows: st.integers(1, 6).flatmap(lambda cols: st.lists(
    st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=cols, max_size=cols),
    min_size=rows, max_size=rows)))


@settings(max_examples=400, deadline=None)
@given(tables, st.booleans(), st.booleans())
def test_no_hidden_cell_can_be_worked_out(cells, row_totals, column_totals):
    verdict = suppress(Table(cells), 5, row_totals, column_totals)
    value = np.array(cells)
    # every small group is hidden
    assert {(r, c) for r, row in enumerate(cells) for c, v in enumerate(row) if 0 < v < 5} <= verdict["cells"]
    # and none follows from the rest
    assert recoverable(value, verdict["cells"], verdict["rows"], verdict["columns"], verdict["grand"],
                       row_totals, column_totals) == []
    # a line with a published total never holds exactly one hidden cell
    for r in range(len(cells)):
        if row_totals and r not in verdict["rows"]:
            assert sum((r, c) in verdict["cells"] for c in range(len(cells[0]))) != 1
    for c in range(len(cells[0])):
        if column_totals and c not in verdict["columns"]:
            assert sum((r, c) in verdict["cells"] for r in range(len(cells))) != 1
    # the same table hides the same cells every time
    assert suppress(Table(cells), 5, row_totals, column_totals) == verdict


def test_complementary_suppression_by_hand():
    # a column of intakes per province with its total: 3 is small; alone it would be the
    # total minus the rest, so the next smallest (7) goes too
    rows = [{"key": "Drenthe", "intakes": 3}, {"key": "Utrecht", "intakes": 7}, {"key": "Zeeland", "intakes": 12}]
    shown, totals = hide(rows, ["intakes"])
    assert [r["intakes"] for r in shown] == [None, None, 12] and totals == {"intakes": 22}
    assert [r["suppressed"] for r in shown] == [True, True, False]
    # zeros are not small groups and stay; nothing small, nothing hidden
    shown, _ = hide([{"key": "a", "intakes": 0}, {"key": "b", "intakes": 9}], ["intakes"])
    assert [r["intakes"] for r in shown] == [0, 9]
    # a small total is hidden with its cells
    shown, totals = hide([{"key": "a", "intakes": 1}, {"key": "b", "intakes": 2}], ["intakes"])
    assert [r["intakes"] for r in shown] == [None, None] and totals == {"intakes": None}


def test_a_check_that_would_find_a_recoverable_cell():
    """The checker itself: one hidden cell in a row with a published total is found."""
    value = np.array([[3, 10], [8, 9]])
    assert recoverable(value, {(0, 0)}, set(), set(), False) == [(0, 0)]
    assert recoverable(value, {(0, 0), (0, 1), (1, 0), (1, 1)}, set(), set(), False) == []
