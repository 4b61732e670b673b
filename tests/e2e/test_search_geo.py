"""`near` + `radius_km`: one and the same open offering within the radius; distance in the hit;
sort by distance; online offerings have no place."""
from __future__ import annotations

import uuid

from tests.e2e.test_journey import a_course
from tests.infra import eventually


def offering(external_id: str, city: str | None, mode: str = "klassikaal", **extra) -> dict:
    base = a_course("x")["offerings"][0]
    entry = {**base, "external_id": external_id, "mode": mode, **extra}
    entry.pop("location", None)
    if city:
        entry["location"] = {"city": city}
    return entry


def test_near_radius_distance_and_sort(provider, anonymous):
    word = f"afstand{uuid.uuid4().hex[:6]}"
    venlo = provider.post("/api/v1/courses", json={**a_course(f"{word} Venlo", external_id="G-V",
                          offerings=[offering("V", "Venlo")]), "publish": True}).json()
    both = provider.post("/api/v1/courses", json={**a_course(f"{word} Groningen", external_id="G-G", offerings=[
        offering("G", "Groningen"), offering("T", "Tegelen", status="full")]), "publish": True}).json()
    online = provider.post("/api/v1/courses", json={**a_course(f"{word} online", external_id="G-O",
                           offerings=[offering("O", None, mode="online")]), "publish": True}).json()

    def search(**params):
        answer = anonymous.get("/api/v1/search", params={"q": word, **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    eventually(lambda: search()["total"] == 3, message="all three indexed")
    near_venlo = search(near="Venlo", radius_km=10)
    # the full Tegelen offering is near Venlo but not open: Groningen's course does not match
    assert [h["course_id"] for h in near_venlo["hits"]] == [venlo["id"]]
    assert near_venlo["hits"][0]["distance_km"] == 0.0
    by_distance = search(near="9712 CP", radius_km=300, sort="distance")
    assert [h["course_id"] for h in by_distance["hits"]] == [both["id"], venlo["id"]]
    assert 200 < by_distance["hits"][1]["distance_km"] < 260
    # a postcode's four digits alone, as people often type it
    assert [h["course_id"] for h in search(near="9712", radius_km=300, sort="distance")["hits"]] == \
        [both["id"], venlo["id"]]
    assert online["id"] not in [h["course_id"] for h in by_distance["hits"]]
    assert [h["course_id"] for h in search(mode="online")["hits"]] == [online["id"]]

    unknown = anonymous.get("/api/v1/search", params={"near": "Atlantis"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "near"
    no_place = anonymous.get("/api/v1/search", params={"sort": "distance"})
    assert no_place.status_code == 422 and no_place.json()["errors"][0]["field"] == "sort"
