"""An analytics report as a CSV download: the API's ``format=csv`` and the dashboard's links
give the same file."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.chassis.csvfile import csv_text


def as_csv(answer: dict) -> str:
    """A report's rows as CSV: its columns, the same cells as the JSON (a hidden one empty), a
    ``suppressed`` column, and the totals as the last line."""
    columns = answer["columns"]
    rows = [columns + ["suppressed"]]
    rows += [[row.get(c) for c in columns] + [bool(row.get("suppressed"))] for row in answer["rows"]]
    if answer.get("totals"):
        rows.append(["totaal" if i == 0 else answer["totals"].get(c, "") for i, c in enumerate(columns)]
                    + [None in answer["totals"].values()])
    return csv_text(rows)


def csv_download(name: str, answer: dict) -> Response:
    return Response(as_csv(answer), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{answer["from"]}-{answer["to"]}.csv"',
                             "Cache-Control": "no-store"})
