"""Search answers are exactly what the OpenAPI document says (`SearchResponse`): the search
service builds them without pydantic, so every kind of answer (words, profile with funding
schemes, distance, other sorts, a later page, no words, nothing found) must come back unchanged
through the model: no field missing, none extra, every value in its JSON form."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from services.contracts.search import SearchResponse
from tests.e2e.test_journey import a_course
from tests.infra import eventually


def test_every_kind_of_answer_is_a_search_response(admin, provider, anonymous):
    tag = uuid.uuid4().hex[:6]
    code = f"contract-{tag}"
    scheme = {"code": code, "name": "Regeling voor het contract", "funder": "Sectorfonds",
              "valid_from": str(date.today() - timedelta(days=1)), "valid_until": str(date.today() + timedelta(days=400)),
              "eligible_situations": ["werkgever"]}
    assert admin.post("/api/v1/funding-schemes", json=scheme).status_code == 201
    word = f"kontrakt{tag}"
    for n, city in enumerate(("Venlo", "Utrecht", "Groningen")):
        course = a_course(f"Heftruck {word} {city}", situations=["werkgever"], funding_schemes=[code],
                          keywords=[word])
        course["offerings"][0].update(location={"city": city}, price_eur=100 + n + 0.5)
        assert provider.post("/api/v1/courses", json={**course, "publish": True}).status_code == 201
    online = a_course(f"Heftruck {word} online", keywords=[word])
    online["offerings"][0].update(mode="online", price_eur=99)
    del online["offerings"][0]["location"]
    assert provider.post("/api/v1/courses", json={**online, "publish": True}).status_code == 201

    def answer(**params) -> dict:
        got = anonymous.get("/api/v1/search", params=params)
        assert got.status_code == 200, got.text
        return got.json()

    eventually(lambda: answer(q=word)["total"] == 4, message="the four courses indexed")
    eventually(lambda: answer(q=word, situation="werkgever")["profile"]["funding_schemes"], message="scheme known")
    kinds = [
        answer(q=word),
        answer(q=word, situation="werkgever"),
        answer(q=f"{word} heftrukk", near="Utrecht", radius_km=300, sort="distance"),
        answer(q=word, sort="price", page_size=2, page=2),
        answer(sector="logistiek", sort="start_date", max_price="500"),
        answer(q=f"onvindbaar{tag}"),
    ]
    assert [k["total"] for k in kinds[:4]] == [4, 4, 3, 4] and kinds[-1]["total"] == 0
    assert kinds[1]["profile"]["situation"] == "werkgever" and kinds[2]["hits"][0]["distance_km"] == 0.0
    for body in kinds:
        assert SearchResponse.model_validate(body).model_dump(mode="json") == body
