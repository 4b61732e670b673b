"""Every CSV the platform writes goes through here: a cell that a spreadsheet would read as a
formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
leading apostrophe (a sign alone or before a number excepted), so an anonymous search for ``=WEBSERVICE(...)`` lands in an analyst's report
as text, not as a formula that runs (the OWASP advice on CSV injection). Numbers stay numbers."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = ";".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "'" + text if _formula(text) else text


def _formula(text: str) -> bool:
    if not text.startswith(FORMULA_STARTS):
        return False
    if text[0] in "+-":     # a sign alone ("-": no value) or before a number is no formula
        try:
            float(text)
            return False
        except ValueError:
            return len(text) > 1
    return True


def csv_text(rows: Iterable[Iterable]) -> str:
    """``rows`` (each an iterable of cells) as CSV text, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
