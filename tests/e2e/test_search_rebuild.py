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


def test_reindex_repairs_another_state_under_the_same_version(platform, provider, anonymous):
    """What an old race could leave (one course version written twice with two states): the
    read model keeps its copy of a version, so only a rebuild, which takes the catalogue's
    copy even of the same version, repairs it."""
    before, after = (f"zelfde{uuid.uuid4().hex[:6]}" for _ in range(2))
    course = provider.post("/api/v1/courses", json={**a_course(f"Zelfde versie {before}"), "publish": True}).json()
    eventually(lambda: found(anonymous, before, course["id"]), message="findable")
    with psycopg.connect(platform.db_urls["catalogue"], autocommit=True) as conn:   # same version, new title
        conn.execute("UPDATE courses SET data = jsonb_set(data, '{title}', to_jsonb(%s::text)) WHERE id = %s",
                     (f"Zelfde versie {after}", course["id"]))
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=60) as rpc:
        rpc.search.reindex()
    assert found(anonymous, after, course["id"]) and not found(anonymous, before, course["id"])


def test_two_search_processes_rebuild_once_and_answer_alike(platform, provider, anonymous):
    """`make run` starts two search processes: competing consumers of the same queues on one
    read model. Starting both on an empty store, one rebuilds and the other waits for it; after
    that, a course published through either one is found by both (each keeps answers only for
    the read model's current generation)."""
    word = f"tweeling{uuid.uuid4().hex[:6]}"
    first = provider.post("/api/v1/courses", json={**a_course(f"Tweeling {word}"), "publish": True}).json()
    eventually(lambda: found(anonymous, word, first["id"]), message="findable")
    logs = [platform.log_dir / f"{platform.prefix}-{name}.log" for name in ("search", "search-2")]
    platform.stop_service("search")
    offsets = [log.stat().st_size if log.exists() else 0 for log in logs]

    def since_start() -> list[bytes]:
        return [log.read_bytes()[offset:] if log.exists() else b"" for log, offset in zip(logs, offsets)]

    with psycopg.connect(platform.db_urls["search"], autocommit=True) as conn:
        conn.execute("TRUNCATE documents CASCADE")
    try:
        platform.start_service("search")
        platform.start_service("search-2")
        platform.wait_healthy()
        # each process says what it found once it had the lock: one rebuilt, the other waited
        eventually(lambda: all(b"was empty: rebuilt" in text or b"is current: nothing to rebuild" in text
                               for text in since_start()), timeout=90, message="both processes checked the store")
        rebuilt = sorted(text.count(b"was empty: rebuilt") for text in since_start())
        assert rebuilt == [0, 1], f"rebuilds at start per process: {rebuilt}"
        assert found(anonymous, word, first["id"])

        # the searches below go to the two processes in turn; each keeps its own answers
        for _ in range(4):
            assert found(anonymous, word, first["id"])
        second = provider.post("/api/v1/courses", json={**a_course(f"Tweeling {word} twee"), "publish": True}).json()
        eventually(lambda: found(anonymous, word, second["id"]), message="the second course findable")
        for _ in range(6):
            ids = {hit["course_id"] for hit in anonymous.get("/api/v1/search", params={"q": word}).json()["hits"]}
            assert {first["id"], second["id"]} <= ids, "one process answered from an answer of before the change"
    finally:
        platform.stop_service("search-2")
        if "search" not in platform.procs:     # failed before it started again: the next tests need it
            platform.start_service("search")
            platform.wait_healthy()
