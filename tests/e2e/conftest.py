"""Fixtures of the end-to-end tests that more than one module uses."""
from __future__ import annotations

import pytest

from tests.conftest import Client
from tests.infra import ADMIN_TOKEN

NORTH = {"code": "noord", "name": "Leerwerkloket Noord", "provinces": ["Groningen", "Friesland", "Drenthe"],
         "phone": "050 123 45 67"}
SOUTH = {"code": "zuid", "name": "Leerwerkloket Limburg", "provinces": ["Limburg"], "postcode_ranges": [["5900", "5999"]]}


@pytest.fixture(scope="module")
def teams(platform):
    """Two regional teams and an advisor of each (the national team exists from the start)."""
    admin = Client(platform.url, ADMIN_TOKEN)
    for team in (NORTH, SOUTH):
        answer = admin.post("/api/v1/advisor-teams", json=team)
        assert answer.status_code in (201, 409), answer.text
    advisors = {}
    for code in ("noord", "zuid"):
        answer = admin.post("/api/v1/advisors", json={"name": f"Adviseur {code}", "email": f"{code}@loket.example.nl",
                                                      "team": code})
        assert answer.status_code == 201, answer.text
        assert answer.json()["token"].startswith("adv_")
        advisors[code] = Client(platform.url, answer.json()["token"])
        advisors[code].id = answer.json()["id"]
    return advisors
