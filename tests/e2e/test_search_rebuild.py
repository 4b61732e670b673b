"""The search read model can always be rebuilt from the catalogue: automatically when its store
is empty at start, and on demand (`make reindex`), which also repairs a missed withdrawal."""
from __future__ import annotations

import uuid

import psycopg
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.test_journey import a_course, found
from tests.infra import eventually


def test_empty_read_model_is_rebuilt_at_start(platform, provider, anonymous):
    word = f"herbouw{uuid.uuid4().hex[:6]}"
    course = provider.post("/api/v1/courses", json={**a_course(f"Herbouw {word}"), "publish": True}).json()
    eventually(lambda: found(anonymous, word, course["id"]), message="findable")
    platform.stop_service("search")
    with psycopg.connect(platform.db_urls["search"], autocommit=True) as conn:
        conn.execute("TRUNCATE documents CASCADE")          # the store was lost; the events are long gone
    platform.start_service("search")
    platform.wait_healthy()
    # (the whole catalogue of the test session, ~2,000 courses: 7-10 s here, 33 s once on a slow moment)
    eventually(lambda: found(anonymous, word, course["id"]), timeout=60, message="rebuilt from the catalogue")


def test_reindex_repairs_a_missed_withdrawal(platform, provider, anonymous):
    word = f"gemist{uuid.uuid4().hex[:6]}"
    course = provider.post("/api/v1/courses", json={**a_course(f"Gemist {word}"), "publish": True}).json()
    eventually(lambda: found(anonymous, word, course["id"]), message="findable")
    with psycopg.connect(platform.db_urls["catalogue"], autocommit=True) as conn:   # no event told search
        conn.execute("UPDATE courses SET status = 'withdrawn' WHERE id = %s", (course["id"],))
    assert found(anonymous, word, course["id"])
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=60) as rpc:
        report = rpc.search.reindex()
    assert report["unpublished"] >= 1
    assert not found(anonymous, word, course["id"])
