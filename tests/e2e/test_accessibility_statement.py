"""The accessibility statement (/toegankelijkheid) says what its findings file says, in the
model of the Dutch register: the status, what was tested and how, every known problem with the
date it is to be fixed by, how to complain. And the findings hold up: each test they name exists,
each planned fix lies after the statement's date."""
from __future__ import annotations

import html
import re
import tomllib
from datetime import date

import pytest

from tests.infra import ROOT

FINDINGS = tomllib.loads((ROOT / "services" / "gateway" / "web" / "accessibility.toml").read_text(encoding="utf-8"))
# the register's words for its statuses, and the months, written out here
STATUS = {"A": ("Voldoet volledig", "Fully compliant"), "B": ("Voldoet gedeeltelijk", "Partially compliant"),
          "C": ("Eerste maatregelen genomen", "First measures taken"), "D": ("Voldoet niet", "Not compliant")}
MONTHS = {"nl": "januari februari maart april mei juni juli augustus september oktober november december".split(),
          "en": "January February March April May June July August September October November December".split()}


def in_words(day: date, lang: str) -> str:
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def statement(anonymous, lang: str) -> str:
    answer = anonymous.get("/toegankelijkheid", params={"lang": lang})
    assert answer.status_code == 200
    text = html.unescape(re.sub(r"<[^>]+>", " ", answer.text))
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_statement_says_what_its_findings_say(anonymous, lang):
    text = statement(anonymous, lang)
    pick = 0 if lang == "nl" else 1
    assert STATUS[FINDINGS["status"]][pick] in text
    assert FINDINGS["standard"] in text
    for item in FINDINGS["tested"]:
        assert item[lang] in text, item["kind"]
        for check in item.get("checklist", []):
            assert check[pick] in text
    for problem in FINDINGS["problem"]:
        # the problem, and in the same sentence run the day it is to be fixed by
        found = text.find(problem[lang])
        assert found >= 0, problem[lang]
        assert in_words(problem["fix_by"], lang) in text[found:found + len(problem[lang]) + 80], problem[lang]
    for item in FINDINGS.get("outside", []):
        assert item[lang] in text
    complaints = FINDINGS["complaints"]
    assert complaints["email"] in text and f"{complaints['answer_days']} " in text
    assert in_words(FINDINGS["updated"], lang) in text


def test_the_statement_links_the_ways_to_complain(anonymous):
    page = anonymous.get("/toegankelijkheid").text
    assert f'href="mailto:{FINDINGS["complaints"]["email"]}"' in page
    assert f'href="{FINDINGS["complaints"]["escalation"]}"' in page and "Nationale ombudsman" in page


def test_the_findings_hold_up():
    assert FINDINGS["status"] in STATUS
    for item in FINDINGS["tested"]:
        if "test" in item:                 # the test it stands on is in the suite
            path, _, name = item["test"].partition("::")
            assert re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M), item["test"]
        else:
            assert item.get("checklist"), item["kind"]
    assert FINDINGS["problem"], "a statement of a partly compliant site names its problems"
    for problem in FINDINGS["problem"]:
        assert problem["fix_by"] > FINDINGS["updated"], problem["nl"]
