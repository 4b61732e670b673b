"""The rules of analytics, pure: which cells of a report are hidden so that no small group of
people can be seen or worked out, and the shape of a report's rows.

Suppression (statistical disclosure control): a count of people from 1 to ``threshold - 1`` is
hidden (primary); so is any other cell from which a hidden one could be worked out with the row
and column totals (complementary): every row and column whose total is shown holds no hidden cell
or at least two, and a final check with linear algebra hides one more cell wherever a hidden
value still follows from the published ones. Cells are chosen smallest first, ties by position,
so the same table always hides the same cells (JSON, CSV and the charts agree; a repeated query
cannot be combined with an earlier one)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANALYTICS_MIN_GROUP = 5


@dataclass
class Table:
    """Counts of people, ``cells[r][c]``, with every row's, column's and the grand total."""

    cells: list[list[int]]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0]) if self.cells else 0


def suppress(table: Table, threshold: int = ANALYTICS_MIN_GROUP, row_totals: bool = True,
             column_totals: bool = True) -> dict:
    """Which cells to hide: ``{"cells": {(r, c)}, "rows": {r}, "columns": {c}, "grand": bool}``
    (a row's, column's or the grand total hidden too when it is itself a small group). Totals a
    report does not publish (``row_totals=False``: the measures of a row are not added up) give
    nothing away and are left out of the reckoning."""
    rows, cols = table.shape
    value = np.array(table.cells, dtype=np.int64).reshape(rows, cols)
    small = (value > 0) & (value < threshold)
    hidden = {(r, c) for r in range(rows) for c in range(cols) if small[r, c]}
    row_sum, col_sum, grand = value.sum(axis=1), value.sum(axis=0), int(value.sum())
    hidden_rows = {r for r in range(rows) if row_totals and 0 < row_sum[r] < threshold}
    hidden_cols = {c for c in range(cols) if column_totals and 0 < col_sum[c] < threshold}
    hidden_grand = (row_totals or column_totals) and 0 < grand < threshold

    lines = ([[(r, c) for c in range(cols)] for r in range(rows) if row_totals and r not in hidden_rows]
             + [[(r, c) for r in range(rows)] for c in range(cols) if column_totals and c not in hidden_cols])
    while True:
        while True:     # every published line: no hidden cell or at least two
            lonely = next((line for line in lines if len(hidden.intersection(line)) == 1), None)
            if lonely is None:
                break
            partner = _smallest(value, [cell for cell in lonely if cell not in hidden])
            if partner is None:         # a line of one cell: its total would give it away
                hidden_rows |= {lonely[0][0]} if all(cell[0] == lonely[0][0] for cell in lonely) else set()
                hidden_cols |= {lonely[0][1]} if all(cell[1] == lonely[0][1] for cell in lonely) else set()
                lines.remove(lonely)
                continue
            hidden.add(partner)
        determined = recoverable(value, hidden, hidden_rows, hidden_cols, hidden_grand, row_totals, column_totals)
        if not determined:
            break
        # a hidden value still follows from the rest: hide one more cell beside it
        r, c = min(determined)
        partner = _smallest(value, [cell for cell in [(r, k) for k in range(cols)] + [(k, c) for k in range(rows)]
                                    if cell not in hidden])
        if partner is None:
            hidden_rows.add(r)
            hidden_cols.add(c)
            hidden_grand = True
            lines = [line for line in lines if (r, c) not in line]
        else:
            hidden.add(partner)
    return {"cells": hidden, "rows": hidden_rows, "columns": hidden_cols, "grand": bool(hidden_grand)}


def _smallest(value: np.ndarray, cells: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The cell to hide beside another: the smallest count that is not zero (a zero hidden
    protects nothing once the others are known to be small), then any; ties by position."""
    if not cells:
        return None
    nonzero = [cell for cell in cells if value[cell] > 0]
    return min(nonzero or cells, key=lambda cell: (int(value[cell]), cell))


def recoverable(value: np.ndarray, hidden: set, hidden_rows: set, hidden_cols: set, hidden_grand: bool,
                row_totals: bool = True, column_totals: bool = True) -> list[tuple[int, int]]:
    """The hidden cells whose value follows from the published cells and totals by the linear
    relations of the table (each row and column adds up to its total, the totals to the grand
    total): a hidden cell is determined when its unit vector lies in the row space of the
    relations over the unknowns."""
    rows, cols = value.shape
    unknowns = sorted(hidden) + [("row", r) for r in sorted(hidden_rows)] + [("col", c) for c in sorted(hidden_cols)]
    if hidden_grand:
        unknowns.append(("grand",))
    if not hidden:
        return []
    index = {u: i for i, u in enumerate(unknowns)}

    def relation(parts: list, total) -> np.ndarray:
        """parts - total = 0, over the unknowns among them (the published ones are constants)."""
        eq = np.zeros(len(unknowns))
        for part in parts:
            if part in index:
                eq[index[part]] += 1
        if total in index:
            eq[index[total]] -= 1
        return eq

    equations = []
    if row_totals:
        equations += [relation([(r, c) for c in range(cols)], ("row", r)) for r in range(rows)]
        equations.append(relation([("row", r) for r in range(rows)], ("grand",)))
    if column_totals:
        equations += [relation([(r, c) for r in range(rows)], ("col", c)) for c in range(cols)]
        equations.append(relation([("col", c) for c in range(cols)], ("grand",)))
    matrix = np.array([eq for eq in equations if eq.any()]).reshape(-1, len(unknowns))
    rank = np.linalg.matrix_rank(matrix) if len(matrix) else 0
    found = []
    for cell in sorted(hidden):
        unit = np.zeros(len(unknowns))
        unit[index[cell]] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(cell)
    return found


def hide(rows: list[dict], people: list[str], threshold: int = ANALYTICS_MIN_GROUP) -> tuple[list[dict], dict]:
    """A report's rows (one per group) with its counts of people hidden as ``suppress`` says,
    and its totals row. The people columns are added up per column (a row's measures are not
    added up: they count different things). A hidden cell is null, and its row says
    ``"suppressed": true`` with the names of the hidden cells."""
    if not rows or not people:
        return [dict(r, suppressed=False) for r in rows], {}
    table = Table([[int(r.get(p) or 0) for p in people] for r in rows])
    verdict = suppress(table, threshold, row_totals=False, column_totals=True)
    out = []
    for i, row in enumerate(rows):
        gone = [p for j, p in enumerate(people) if (i, j) in verdict["cells"]]
        out.append({**row, **{p: None for p in gone}, "suppressed": bool(gone), "suppressed_cells": gone})
    totals = {p: (None if j in verdict["columns"] else sum(t[j] for t in table.cells)) for j, p in enumerate(people)}
    return out, totals
