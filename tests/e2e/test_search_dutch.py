"""Search through the gateway as a person uses it: Dutch compounds and typos, suggest, the
situation profile with the funding schemes that fit, province filter, and the searches that
analytics receives."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.e2e.test_journey import a_course
from tests.infra import eventually


def test_compounds_typos_suggest_and_profile(admin, provider, anonymous, platform):
    tag = uuid.uuid4().hex[:6]
    code = f"regeling-{tag}"
    today = date.today()
    scheme = {"code": code, "name": "Scholingsbudget werkgevers", "funder": "Sectorfonds",
              "valid_from": str(today - timedelta(days=1)), "eligible_situations": ["werkgever"]}
    assert admin.post("/api/v1/funding-schemes", json=scheme).status_code == 201
    title = f"Vorkheftruckcertificaat{tag}"      # one word: found by its parts
    course = provider.post("/api/v1/courses", json={
        **a_course(title, situations=["werkgever"], funding_schemes=[code], keywords=[f"zeepkist{tag}"]),
        "publish": True}).json()

    def ids(**params):
        answer = anonymous.get("/api/v1/search", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    eventually(lambda: ids(q=f"zeepkist{tag}")["total"] == 1, message="course indexed")
    assert ids(q=f"zeepkist{tag} heftruck")["hits"][0]["course_id"] == course["id"]       # compound part
    assert ids(q=f"zepkist{tag}")["total"] == 1                                          # one letter missing
    assert ids(q=f"zeepkist{tag}", province="Limburg")["total"] == 1                     # Venlo
    assert ids(q=f"zeepkist{tag}", province="Friesland")["total"] == 0

    profiled = ids(q=f"zeepkist{tag}", situation="werkgever")
    assert profiled["profile"]["situation"] == "werkgever" and profiled["profile"]["boosted"]
    eventually(lambda: code in [s["code"] for s in ids(q=f"zeepkist{tag}", situation="werkgever")["profile"]["funding_schemes"]],
               message="scheme known to search")
    assert ids(q=f"zeepkist{tag}", situation="werkgever")["hits"][0]["funding_schemes"] == [code]
    assert code not in [s["code"] for s in ids(situation="werkzoekend")["profile"]["funding_schemes"]]
    assert ids(q=f"zeepkist{tag}")["profile"] is None

    suggestions = anonymous.get("/api/v1/suggest", params={"q": f"zeepkist{tag}"[:10]}).json()["suggestions"]
    assert f"zeepkist{tag}" in suggestions
    typo = anonymous.get("/api/v1/suggest", params={"q": "zepkist"}).json()["suggestions"]
    assert f"zeepkist{tag}" in typo
    short = anonymous.get("/api/v1/suggest", params={"q": "z"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "q"
    bad_province = anonymous.get("/api/v1/search", params={"province": "Atlantis"})
    assert bad_province.status_code == 422 and bad_province.json()["errors"][0]["field"].startswith("province")


def test_a_zero_result_search_reaches_analytics_marked(anonymous, platform):
    word = f"onvindbaar{uuid.uuid4().hex[:6]}"
    assert anonymous.get("/api/v1/search", params={"q": word}).json()["total"] == 0
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        event = eventually(lambda: (rpc.analytics.events_about("query", word) or [None])[0],
                           message="search archived")
    assert event["event_type"] == "search_performed"
    assert event["payload"]["zero_results"] is True and event["payload"]["result_count"] == 0
    assert "latency_ms" in event["payload"] and event["payload"]["search_id"]


def test_a_query_no_course_has_every_word_of_finds_those_with_some_and_says_so(provider, anonymous, platform):
    tag = uuid.uuid4().hex[:6]
    created = provider.post("/api/v1/courses", json={**a_course(f"Taal{tag} voor nieuwkomers"), "publish": True}).json()
    query = f"taal{tag} leren{tag}"
    answer = eventually(lambda: (lambda a: a if a["total"] else None)(
        anonymous.get("/api/v1/search", params={"q": query}).json()), message="found with some of the words")
    assert [h["course_id"] for h in answer["hits"]] == [created["id"]] and answer["query"]["all_words"] is False
    assert anonymous.get("/api/v1/search", params={"q": f"taal{tag}"}).json()["query"]["all_words"] is True
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        # (the searches before the course was indexed found nothing, with or without every word)
        event = eventually(lambda: next((e for e in rpc.analytics.events_about("query", query)
                                         if e["payload"]["result_count"]), None), message="search archived")
    assert (event["payload"]["all_words"], event["payload"]["zero_results"]) == (False, False)


def test_a_repeated_search_is_answered_from_memory_until_the_catalogue_changes(provider, anonymous, platform):
    word = f"kraanmachinist{uuid.uuid4().hex[:6]}"
    created = provider.post("/api/v1/courses", json={**a_course(f"Basis {word}"), "publish": True}).json()

    def search():
        answer = anonymous.get("/api/v1/search", params={"q": word, "level": "mbo-2"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    eventually(lambda: search()["total"] == 1, message="course indexed")
    first, second = search(), search()
    assert first["hits"] == second["hits"] and first["facets"] == second["facets"]
    assert first["search_id"] != second["search_id"]
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        def flags():
            return {e["payload"]["search_id"]: e["payload"].get("cached") for e in rpc.analytics.events_about("query", word)}
        eventually(lambda: second["search_id"] in flags(), message="searches archived")
        assert flags()[second["search_id"]] is True

        # the provider renames the course: the next search shows the new title, not the kept answer
        changed = provider.put(f"/api/v1/courses/{created['id']}", headers={"If-Match": str(created["version"])},
                               json={**a_course(f"Gevorderd {word}"), "external_id": created["external_id"]})
        assert changed.status_code == 200, changed.text
        renamed = eventually(lambda: (lambda a: a if a["hits"] and a["hits"][0]["title"] == f"Gevorderd {word}" else None)(search()),
                             message="the change is found")
        eventually(lambda: renamed["search_id"] in flags(), message="searches archived")
        assert flags()[renamed["search_id"]] is False
    assert provider.post(f"/api/v1/courses/{created['id']}/withdraw").status_code == 200
    eventually(lambda: search()["total"] == 0, message="withdrawn course gone")
