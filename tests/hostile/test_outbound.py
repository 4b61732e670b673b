"""A provider points the platform at addresses inside the network (finding 6 of the outside
security test) or at a server that is no OOAPI endpoint (a low finding: a 404 on /courses left the
import running, retried every lease for ever). With loopback not allowed, as in production, the
platform sends nothing to the provider's server and says why in general words."""
from __future__ import annotations

import uuid

from tests.e2e.test_ooapi_sync import catalogue_of, sync
from tests.e2e.test_rate_limits import gateway_with
from tests.infra import eventually
from tests.ooapi_server import OoapiServer
from tests.receivers import WebhookReceiver


def test_a_sync_to_an_address_inside_is_refused_and_sends_nothing(platform, provider, attack):
    courses, offerings = catalogue_of(2)
    with OoapiServer(courses, offerings) as server, \
            gateway_with(platform, services=("catalogue",), OUTBOUND_ALLOW_LOOPBACK="false"):
        for url in (server.url, server.url.replace("127.0.0.1", "2130706433")):
            assert provider.put("/api/v1/providers/me/ooapi", json={"base_url": url, "schedule": "manual"}).status_code == 200
            done = sync(provider)
            assert done["status"] == "failed" and "not a public address" in done["failure"], done
        assert server.paths() == []
        assert provider.put("/api/v1/providers/me/ooapi", json={
            "base_url": "https://roc.example.nl/ooapi#/../../x"}).status_code == 422
    attack(name="6. SSRF through an OOAPI endpoint", tried="a sync to 127.0.0.1 and 2130706433, a # in the URL",
           held="refused before connecting, the server got no request; the fragment is a 422")


def test_an_answer_that_is_not_ooapi_is_not_echoed(platform, provider, attack):
    courses, offerings = catalogue_of(1)
    with OoapiServer(courses, offerings) as server:
        server.garbage.add("/ooapi/v5/courses")
        provider.put("/api/v1/providers/me/ooapi", json={"base_url": server.url, "schedule": "manual"})
        done = sync(provider)
        assert done["status"] == "failed" and "not JSON" in done["failure"]
        assert "Onderhoud" not in done["failure"] and "html" not in done["failure"].lower()
    attack(name="6. the sync's errors as a port scanner", tried="an endpoint answering HTML",
           held="the failure says 'not JSON', never the answer's bytes")


def test_a_404_on_courses_fails_the_sync_once_with_a_reason(platform, provider):
    courses, offerings = catalogue_of(1)
    with OoapiServer(courses, offerings) as server:
        provider.put("/api/v1/providers/me/ooapi", json={"base_url": server.url + "/wrong", "schedule": "manual"})
        done = sync(provider)
        assert done["status"] == "failed" and "404" in done["failure"], done
        asked = len(server.paths())
        endpoint = provider.get("/api/v1/providers/me/ooapi").json()
        assert endpoint["sync_under_way"] is None and endpoint["last_sync"]["status"] == "failed"
        assert len(server.paths()) == asked       # not tried again behind the provider's back


def test_a_webhook_to_an_address_inside_is_never_called(platform, provider, anonymous, teams, attack):
    from tests.e2e.test_intake import person, published_course

    with WebhookReceiver() as receiver, gateway_with(platform, services=("notify",), OUTBOUND_ALLOW_LOOPBACK="false"):
        hook = provider.put("/api/v1/providers/me/webhook", json={"url": receiver.url})
        assert hook.status_code == 200, hook.text
        course = published_course(provider, platform)
        answer = anonymous.post("/api/v1/intakes", json=person(course_id=course["id"], share_with_provider=True))
        assert answer.status_code == 201

        def refused():
            rows = provider.get("/api/v1/providers/me/webhook/deliveries").json()["items"]
            return [r for r in rows if "not a public address" in (r.get("reason") or "")]
        eventually(refused, timeout=30, message="the delivery refused")
        assert receiver.requests == []
    attack(name="6. SSRF through a webhook", tried="a lead webhook to a loopback receiver",
           held="refused on connecting ('not a public address'), the receiver got nothing")
