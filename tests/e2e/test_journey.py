"""The foundation journey through the gateway, on real services, RabbitMQ and PostgreSQL:
an admin registers a provider, the provider publishes a course, a person finds it; withdrawn,
it disappears. Every service takes part."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.infra import eventually


def a_course(title: str, **overrides) -> dict:
    start = date.today() + timedelta(days=30)
    course = {
        "external_id": f"C-{uuid.uuid4().hex[:8]}",
        "title": title,
        "description": "Veilig werken met de heftruck: theorie en praktijk, met examen.",
        "keywords": ["heftruck", "intern transport"],
        "level": "mbo-2",
        "sectors": ["logistiek"],
        "situations": ["werkzoekend"],
        "credential": "certificaat",
        "study_load_hours": 8,
        "offerings": [{
            "external_id": "O-1", "start_date": start.isoformat(), "end_date": start.isoformat(),
            "mode": "klassikaal", "location": {"city": "Venlo"}, "price_eur": 325.0,
            "seats_available": 10, "status": "open",
        }],
    }
    course.update(overrides)
    return course


def found(client, query: str, course_id: str) -> bool:
    answer = client.get("/api/v1/search", params={"q": query})
    assert answer.status_code == 200, answer.text
    return any(hit["course_id"] == course_id for hit in answer.json()["hits"])


def test_health_reports_every_service(anonymous):
    answer = anonymous.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "services": {
        name: "ok" for name in ("catalogue", "search", "intake", "notify", "analytics")}}


def test_publish_find_withdraw(anonymous, provider, platform):
    word = f"zwaluwstaart{uuid.uuid4().hex[:6]}"
    created = provider.post("/api/v1/courses", json={**a_course(f"Heftruck {word} basis"), "publish": True})
    assert created.status_code == 201, created.text
    course = created.json()
    assert course["version"] == 1 and course["status"] == "published"
    assert course["provider"]["id"] == provider.id

    eventually(lambda: found(anonymous, word, course["id"]), timeout=10, message="course findable")
    hit = next(h for h in anonymous.get("/api/v1/search", params={"q": word}).json()["hits"])
    assert hit["title"] == f"Heftruck {word} basis"
    assert hit["next_offering"]["city"] == "Venlo"
    assert "<mark>" in hit["snippet"]

    # the public can read a published course
    assert anonymous.get(f"/api/v1/courses/{course['id']}").json()["title"] == course["title"]

    withdrawn = provider.post(f"/api/v1/courses/{course['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["version"] == 2
    eventually(lambda: not found(anonymous, word, course["id"]), timeout=10, message="course gone")
    assert anonymous.get(f"/api/v1/courses/{course['id']}").status_code == 404


def test_every_service_consumes_the_catalogue_events(provider, platform):
    course = provider.post("/api/v1/courses", json={**a_course("Orderpicken"), "publish": True}).json()
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}) as rpc:
        archived = eventually(lambda: rpc.analytics.events_about("course_id", course["id"]), message="archived")
        assert [e["event_type"] for e in archived] == ["course_published"]
        known = eventually(lambda: rpc.intake.known_course(course["id"]), message="intake knows the course")
        assert known["title"] == "Orderpicken" and known["published"] is True
        assert provider.post(f"/api/v1/courses/{course['id']}/withdraw").status_code == 200
        known = eventually(lambda: (k := rpc.intake.known_course(course["id"]))["version"] == 2 and k,
                           message="intake knows the course was withdrawn")
        assert known["title"] == "Orderpicken" and known["published"] is False
        assert eventually(lambda: rpc.notify.known_provider(provider.id), message="notify knows")["name"]
        searches = eventually(lambda: rpc.analytics.event_counts().get("search_performed"),
                              timeout=10, message="searches archived")
        assert searches >= 1


def test_draft_is_private_until_published(anonymous, provider, admin):
    word = f"kraanmachinist{uuid.uuid4().hex[:6]}"
    draft = provider.post("/api/v1/courses", json=a_course(f"Kraan {word}")).json()
    assert draft["status"] == "draft"
    assert provider.get(f"/api/v1/courses/{draft['id']}").status_code == 200
    assert anonymous.get(f"/api/v1/courses/{draft['id']}").status_code == 404
    published = provider.post(f"/api/v1/courses/{draft['id']}/publish")
    assert published.json()["status"] == "published" and published.json()["version"] == 2
    eventually(lambda: found(anonymous, word, draft["id"]), message="published draft findable")


def test_update_with_if_match(anonymous, provider):
    course = provider.post("/api/v1/courses", json={**a_course("Reachtruck"), "publish": True}).json()
    word = f"reachtruck{uuid.uuid4().hex[:6]}"
    body = a_course(f"Reachtruck {word}", external_id=course["external_id"])
    stale = provider.put(f"/api/v1/courses/{course['id']}", json=body, headers={"If-Match": "7"})
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    updated = provider.put(f"/api/v1/courses/{course['id']}", json=body, headers={"If-Match": "1"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    eventually(lambda: found(anonymous, word, course["id"]), message="update findable")


def test_provider_reads_the_history_of_its_course(provider, admin, platform):
    from tests.conftest import Client

    course = provider.post("/api/v1/courses", json=a_course("Historie")).json()
    provider.post(f"/api/v1/courses/{course['id']}/publish")
    provider.put(f"/api/v1/courses/{course['id']}", headers={"If-Match": "2"},
                 json=a_course("Historie bijgewerkt", external_id=course["external_id"]))
    history = provider.get(f"/api/v1/courses/{course['id']}/history").json()["items"]
    assert [(h["version"], h["action"]) for h in history] == [(1, "create"), (2, "publish"), (3, "update")]
    assert history[2]["changed"] == ["title"] and history[2]["actor"] == f"provider:{provider.id}"
    other = admin.post("/api/v1/providers", json={"name": "Nieuwsgierig", "kind": "opleider"}).json()
    answer = Client(platform.url, other["api_key"]).get(f"/api/v1/courses/{course['id']}/history")
    assert answer.status_code == 403
