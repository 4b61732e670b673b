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


def test_a_place_in_the_words_is_searched_as_one(provider, anonymous, platform):
    """"heftruck zwolle": no course says Zwolle, so as words it found heftruck courses anywhere.
    Read as a place (at the end or start of the words, a city GeoNames knows or a province), it
    is searched near that city or in that province; where nothing is found there, the words are
    searched as typed. A place name that is also a word (houten: wooden) is a place after "in"."""
    word = f"plaatswoord{uuid.uuid4().hex[:6]}"

    def publish(external_id: str, city: str | None, mode: str = "klassikaal") -> str:
        return provider.post("/api/v1/courses", json={**a_course(f"{word} cursus", external_id=external_id,
                             offerings=[offering(external_id, city, mode=mode)]), "publish": True}).json()["id"]

    zwolle, venlo, houten, online = (publish("P-Z", "Zwolle"), publish("P-V", "Venlo"), publish("P-H", "Houten"),
                                     publish("P-O", None, mode="online"))

    def search(q: str, **params) -> dict:
        answer = anonymous.get("/api/v1/search", params={"q": q, **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def ids(answer: dict) -> set[str]:
        return {h["course_id"] for h in answer["hits"]}

    eventually(lambda: search(word)["total"] == 4, message="all four indexed")
    near = search(f"{word} Zwolle")
    assert ids(near) == {zwolle} and near["hits"][0]["distance_km"] == 0.0
    assert near["query"]["place"] == {"words": "Zwolle", "near": "Zwolle", "radius_km": 25, "found": 1}
    assert [w["word"] for w in near["query"]["words"]] == [word] and near["query"]["all_words"] is True
    # at the start, after "in", with the request's radius; a province
    assert ids(search(f"in Venlo {word}", radius_km=5)) == {venlo}
    in_limburg = search(f"{word} limburg")
    assert ids(in_limburg) == {venlo} and in_limburg["query"]["place"] == {"words": "limburg", "province": "Limburg",
                                                             "found": 1}
    # as with province=Limburg, its facet still counts the other provinces, to widen to
    assert in_limburg["facets"]["province"] == {"Limburg": 1, "Overijssel": 1, "Utrecht": 1}
    # nothing of these near Groningen: the words as typed, the place one of them that no course
    # has, and the answer says that nothing was found at the place (not silently everywhere)
    elsewhere = search(f"{word} Groningen")
    assert ids(elsewhere) >= {zwolle, venlo, houten, online}     # (and any course that says Groningen)
    assert elsewhere["query"]["all_words"] is False
    assert elsewhere["query"]["place"] == {"words": "Groningen", "near": "Groningen", "radius_km": 25, "found": 0}
    # sorted by distance, the city in the words is where from, even where none is near
    by_distance = search(f"{word} Zwolle", sort="distance", radius_km=300)
    assert [h["course_id"] for h in by_distance["hits"]] == [zwolle, houten, venlo]
    none_near = search(f"{word} Groningen", sort="distance")
    assert none_near["total"] == 0 and none_near["query"]["place"]["near"] == "Groningen"
    # houten alone is a word (wooden); in houten, the place
    assert "place" not in search(f"{word} houten")["query"]
    assert ids(search(f"{word} in houten")) == {houten}
    # the place alone lists what is near it; a request that says where itself is taken as it is
    alone = search("Venlo", radius_km=5)
    assert alone["query"]["place"]["near"] == "Venlo" and alone["query"]["words"] == []
    assert alone["total"] >= 1 and all(h["distance_km"] <= 5 for h in alone["hits"])
    told = search(f"{word} Zwolle", near="Venlo", radius_km=5)
    assert ids(told) == {venlo} and "place" not in told["query"]      # the word, near Venlo

    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        event = eventually(lambda: (rpc.analytics.events_about("query", f"{word} limburg") or [None])[0],
                           message="search archived")
    assert event["payload"]["place"] == {"words": "limburg", "province": "Limburg", "found": 1}


def test_a_hit_shows_the_offering_it_was_found_by(provider, anonymous):
    """Offering filters hold for one and the same offering; the hit's next_offering is that
    offering (the first open one ahead that they hold for), not the course's first anywhere."""
    from datetime import date, timedelta

    word = f"volgende{uuid.uuid4().hex[:6]}"
    soon, later = date.today() + timedelta(days=20), date.today() + timedelta(days=90)
    offerings = [offering("GRO", "Groningen", start_date=soon.isoformat(), end_date=soon.isoformat(), price_eur=900),
                 offering("VEN", "Venlo", start_date=later.isoformat(), end_date=later.isoformat(), price_eur=300),
                 offering("WEB", None, mode="online", start_date=later.isoformat(), end_date=later.isoformat())]
    created = provider.post("/api/v1/courses", json={**a_course(word, offerings=offerings), "publish": True}).json()

    def shown(**params) -> dict:
        answer = anonymous.get("/api/v1/search", params={"q": word, **params})
        assert answer.status_code == 200, answer.text
        hits = answer.json()["hits"]
        assert [h["course_id"] for h in hits] == [created["id"]]
        return hits[0]["next_offering"]

    eventually(lambda: anonymous.get("/api/v1/search", params={"q": word}).json()["total"] == 1, message="indexed")
    assert shown()["city"] == "Groningen"                                   # no filters: the first
    assert shown(near="Venlo", radius_km=10)["city"] == "Venlo"
    assert shown(max_price=500, mode="klassikaal")["city"] == "Venlo"
    assert shown(province="Limburg")["city"] == "Venlo"
    assert shown(mode="online")["mode"] == "online"
    assert shown(start_from=(soon + timedelta(days=1)).isoformat(), mode="klassikaal")["start_date"] == later.isoformat()
    assert shown(q=f"{word} venlo")["city"] == "Venlo"                      # the place in the words


def test_found_only_far_away_names_the_nearest_place_with_its_distance(provider, anonymous):
    """A course offered in Maastricht (soon) and Groningen (later), asked near Zwolle with a
    small radius: nothing there; the nearest place is Groningen (about 100 km), not Maastricht,
    whose offering starts first; and the same offering a search sorted by distance shows."""
    word = f"dichtstbij{uuid.uuid4().hex[:6]}"
    course = provider.post("/api/v1/courses", json={**a_course(word, external_id="N-1", offerings=[
        offering("M", "Maastricht"), offering("G", "Groningen", start_date="2031-01-05", end_date="2031-01-06")]),
        "publish": True}).json()
    eventually(lambda: anonymous.get("/api/v1/search", params={"q": word}).json()["total"] == 1, message="indexed")
    answer = anonymous.get("/api/v1/search", params={"q": word, "near": "Zwolle", "radius_km": 10}).json()
    assert answer["total"] == 0 and answer["zero_results"]["kind"] == "elsewhere"
    assert answer["zero_results"]["nearest_place"] == "Groningen", answer["zero_results"]
    assert 80 < answer["zero_results"]["distance_km"] < 110
    by_distance = anonymous.get("/api/v1/search", params={"q": word, "near": "Zwolle", "radius_km": 300,
                                                           "sort": "distance"}).json()
    hit = by_distance["hits"][0]
    assert hit["course_id"] == course["id"] and hit["next_offering"]["city"] == "Groningen"
