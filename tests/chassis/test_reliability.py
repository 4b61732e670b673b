"""Nothing accepted is lost and nothing is applied twice: the outbox across a broker outage and
a crash, idempotent handlers, and failing handlers that retry and then dead-letter."""
from __future__ import annotations

import signal
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from kombu import Connection, Queue
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook

from services.chassis.settings import DatabaseServiceSettings, config_of
from services.catalogue.service import CatalogueService
from services.catalogue.store import CatalogueStore
from services.chassis.deadletters import replay
from services.chassis.errors import Unavailable
from services.chassis.events import ATTEMPT_HEADER, handles, handles_batch
from services.chassis.postgres import Database, Store
from services.contracts.catalogue import CoursePublished
from tests.e2e.test_journey import a_course, found
from tests.conftest import Client
from tests.infra import eventually


def course_event(title: str, version: int = 1) -> CoursePublished:
    now = datetime.now(timezone.utc)
    course_id, provider_id = uuid.uuid4(), uuid.uuid4()
    course = {**a_course(title), "id": course_id, "version": version, "status": "published",
              "provider": {"id": provider_id, "name": "Testopleider"}, "created_at": now, "updated_at": now}
    return CoursePublished.model_validate(
        {"course_id": course_id, "provider_id": provider_id, "version": version, "course": course})


def publish_envelope(amqp_uri: str, envelope: dict) -> None:
    exchange = get_event_exchange("catalogue", {})
    Publisher(amqp_uri, exchange=exchange, declare=[exchange], serializer="json").publish(
        envelope, routing_key=envelope["event_type"])


def log_count(platform, service: str, text: str) -> int:
    return platform.log_tail(service, 100000).count(text)


def test_same_event_twice_changes_the_read_model_once(platform, anonymous):
    word = f"dubbelop{uuid.uuid4().hex[:6]}"
    event = course_event(f"Dubbel {word}")
    envelope = event.envelope().model_dump(mode="json")
    publish_envelope(platform.amqp_uri, envelope)
    eventually(lambda: found(anonymous, word, str(event.course_id)), message="first delivery applied")
    with psycopg.connect(platform.db_urls["search"]) as conn:
        first = conn.execute("SELECT updated_at FROM documents WHERE course_id = %s", (event.course_id,)).fetchone()

    publish_envelope(platform.amqp_uri, envelope)  # the broker redelivers, or the relay sent it twice
    skipped = f"skipping {envelope['event_id']}, already processed"
    eventually(lambda: log_count(platform, "search", skipped) == 1, message="search saw the duplicate")
    # analytics archives by the event id itself (no claim): a later event on the same queue is
    # archived after the duplicate was taken, and the duplicate is still there once
    marker = course_event(f"Na de dubbele {word}").envelope().model_dump(mode="json")
    publish_envelope(platform.amqp_uri, marker)
    with psycopg.connect(platform.db_urls["analytics"]) as conn:
        eventually(lambda: conn.execute("SELECT count(*) FROM event_archive WHERE event_id = %s",
                                        (marker["event_id"],)).fetchone() == (1,), message="analytics took both")

    with psycopg.connect(platform.db_urls["search"]) as conn:
        again = conn.execute("SELECT updated_at FROM documents WHERE course_id = %s", (event.course_id,)).fetchone()
        claims = conn.execute("SELECT count(*) FROM processed_events WHERE event_id = %s",
                              (envelope["event_id"],)).fetchone()
    assert again == first
    assert claims == (1,)
    with psycopg.connect(platform.db_urls["analytics"]) as conn:
        assert conn.execute("SELECT count(*) FROM event_archive WHERE event_id = %s",
                            (envelope["event_id"],)).fetchone() == (1,)


def test_an_older_version_arriving_late_is_ignored(platform, anonymous):
    word, stale = f"nieuwste{uuid.uuid4().hex[:6]}", f"oudste{uuid.uuid4().hex[:6]}"
    newer = course_event(f"Versie {word}", version=3)
    older = CoursePublished.model_validate({**newer.model_dump(), "version": 2,
                                            "course": {**newer.course.model_dump(), "version": 2, "title": stale}})
    publish_envelope(platform.amqp_uri, newer.envelope().model_dump(mode="json"))
    eventually(lambda: found(anonymous, word, str(newer.course_id)), message="newer applied")
    older_envelope = older.envelope().model_dump(mode="json")
    publish_envelope(platform.amqp_uri, older_envelope)
    eventually(lambda: _processed(platform, "search", older_envelope["event_id"]), message="search handled it")
    assert found(anonymous, word, str(newer.course_id))
    assert not found(anonymous, stale, str(newer.course_id))


def _processed(platform, service, event_id) -> bool:
    with psycopg.connect(platform.db_urls[service]) as conn:
        return conn.execute("SELECT 1 FROM processed_events WHERE event_id = %s", (event_id,)).fetchone() is not None


def test_commit_then_crash_before_publish_loses_nothing(platform, provider, anonymous):
    """The catalogue dies right after a commit, before its relay published: the restarted
    catalogue publishes what the outbox holds and the course becomes findable."""
    platform.stop_service("catalogue", signal.SIGKILL)
    word = f"nadecrash{uuid.uuid4().hex[:6]}"
    with psycopg.connect(platform.db_urls["catalogue"], autocommit=True) as conn, conn.transaction():
        store = CatalogueStore(conn)
        course = store.insert_course(uuid.uuid4(), uuid.UUID(provider.id), "published",
                                     a_course(f"Crash {word}"))
        store.emit(CoursePublished(course_id=course.id, provider_id=course.provider.id,
                                   version=course.version, course=course))
    platform.start_service("catalogue")
    platform.wait_healthy()
    eventually(lambda: found(anonymous, word, str(course.id)), timeout=15, message="published after restart")


# -- in-process containers: the outbox across a broker outage, retries and dead letters --

def config_for(rabbit_config, database) -> dict:
    """A service's settings (their defaults) with quick retries and outbox polls."""
    return config_of(DatabaseServiceSettings, amqp_uri=rabbit_config["AMQP_URI"], database_url=database,
                     event_retry_delays=[0.1, 0.2, 0.3], outbox_poll_seconds=0.2)


def watch_catalogue_events(amqp_uri: str) -> Queue:
    queue = Queue(f"watch-{uuid.uuid4().hex[:6]}", exchange=get_event_exchange("catalogue", {}),
                  routing_key="#", durable=True)
    with Connection(amqp_uri) as conn:
        queue(conn.channel()).declare()
    return queue


def received(amqp_uri: str, queue: Queue) -> list[dict]:
    out = []
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        while (message := bound.get(no_ack=True)) is not None:
            out.append(message.payload)
    return out


@pytest.mark.slow
def test_course_committed_while_broker_is_down_is_published_when_it_is_back(
        rabbit_config, database, service_container, rabbit):
    amqp_uri = rabbit_config["AMQP_URI"]
    watch = watch_catalogue_events(amqp_uri)
    container = service_container(CatalogueService, config_for(rabbit_config, database))
    container.start()
    with entrypoint_hook(container, "register_provider") as register:
        provider = register({"name": "Uitvalbestendig", "kind": "opleider"})
    eventually(lambda: len(received(amqp_uri, watch)) == 1, message="provider_registered relayed")

    rabbit.ctl("stop_app")
    try:
        with entrypoint_hook(container, "create_course") as create:
            course = create(provider["id"], a_course("Tijdens storing"), True)
        with psycopg.connect(database) as conn:
            def unsent_with_error():
                row = conn.execute("SELECT sent_at, attempts, last_error FROM outbox WHERE envelope->>'event_type' "
                                   "= 'course_published'").fetchone()
                conn.commit()
                return row if row and row[1] >= 1 else None
            sent_at, attempts, last_error = eventually(unsent_with_error, timeout=30, message="a failed attempt")
            assert sent_at is None and last_error
    finally:
        rabbit.ctl("start_app")

    events = eventually(lambda: received(amqp_uri, watch), timeout=60, message="published after the outage")
    assert [e["event_type"] for e in events] == ["course_published"]
    assert events[0]["payload"]["course_id"] == course["id"]


class FlakyStore(Store):
    pass


calls: dict[str, int] = {}


class FlakyService:
    name = "flaky"
    store = Database(FlakyStore, Path(__file__).parent / "no_migrations")
    fail_times = 0

    @handles("catalogue", "course_published")
    def handle_course_published(self, tx, event):
        key = str(event.course_id)
        calls[key] = calls.get(key, 0) + 1
        if calls[key] <= FlakyService.fail_times:
            raise RuntimeError(f"transient failure {calls[key]}")


def test_failing_handler_is_retried_then_dead_lettered_and_can_be_replayed(
        rabbit_config, database, service_container):
    amqp_uri = rabbit_config["AMQP_URI"]
    FlakyService.fail_times = 100
    container = service_container(FlakyService, config_for(rabbit_config, database))
    container.start()
    event = course_event("Blijft falen")
    envelope = event.envelope().model_dump(mode="json")
    publish_envelope(amqp_uri, envelope)

    dead_queue = "evt-catalogue-course_published--flaky.handle_course_published.dead"

    def dead_letters():
        with Connection(amqp_uri) as conn:
            if not _exists(conn, dead_queue):
                return None
            message = Queue(dead_queue, no_declare=True)(conn.channel()).get(no_ack=False)
            if message is None:
                return None
            message.requeue()
            return message
    message = eventually(dead_letters, timeout=15, message="dead-lettered")
    assert message.headers[ATTEMPT_HEADER] == 4           # the first try and three retries
    assert "transient failure 4" in message.headers["x-sa-error"]
    assert calls[str(event.course_id)] == 4

    FlakyService.fail_times = 0  # the cause is fixed: replay
    assert replay(amqp_uri, dead_queue) == 1
    eventually(lambda: calls[str(event.course_id)] == 5, message="replayed and handled")
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM processed_events WHERE event_id = %s",
                            (envelope["event_id"],)).fetchone() == (1,)


def test_handler_that_fails_once_is_retried_and_applied_once(rabbit_config, database, service_container):
    FlakyService.fail_times = 1
    container = service_container(FlakyService, config_for(rabbit_config, database))
    container.start()
    event = course_event("Faalt een keer")
    envelope = event.envelope().model_dump(mode="json")
    publish_envelope(rabbit_config["AMQP_URI"], envelope)
    with psycopg.connect(database, autocommit=True) as conn:
        eventually(lambda: conn.execute("SELECT 1 FROM processed_events WHERE event_id = %s",
                                        (envelope["event_id"],)).fetchone(), message="applied")
    assert calls[str(event.course_id)] == 2


applied: dict[str, int] = {}
batch_sizes: list[int] = []


class BatchService:
    name = "batching"
    store = Database(FlakyStore, Path(__file__).parent / "no_migrations")

    @handles_batch("catalogue", "course_published")
    def handle_course_published(self, tx, events):
        batch_sizes.append(len(events))
        if any(e.course.title.startswith("Gif") for e in events):
            raise RuntimeError("poison")
        for event in events:
            applied[str(event.course_id)] = applied.get(str(event.course_id), 0) + 1


def test_a_batch_is_applied_once_and_a_poisoned_event_dead_letters_alone(rabbit_config, database, service_container):
    amqp_uri = rabbit_config["AMQP_URI"]
    container = service_container(BatchService, {**config_for(rabbit_config, database), "EVENT_BATCH_WINDOW": 0.2})
    container.start()
    good = [course_event(f"Partij {n}") for n in range(40)]
    poison = course_event("Gif in de partij")
    envelopes = [e.envelope().model_dump(mode="json") for e in good[:20] + [poison] + good[20:]]
    for envelope in envelopes + envelopes[:3]:          # the first three are delivered twice
        publish_envelope(amqp_uri, envelope)

    eventually(lambda: len(applied.keys() & {str(e.course_id) for e in good}) == len(good), timeout=20,
               message="every good event applied")
    assert all(applied[str(e.course_id)] == 1 for e in good)           # once, the copies skipped
    assert max(batch_sizes) > 1                                        # batches really formed
    dead_queue = "evt-catalogue-course_published--batching.handle_course_published.dead"

    def dead_letters():
        with Connection(amqp_uri) as conn:
            if not _exists(conn, dead_queue):
                return None
            return conn.channel().queue_declare(dead_queue, passive=True).message_count or None
    assert eventually(dead_letters, timeout=20, message="poison dead-lettered") == 1
    with psycopg.connect(database) as conn:
        claimed = conn.execute("SELECT count(*) FROM processed_events WHERE consumer = %s",
                               ("batching.handle_course_published",)).fetchone()[0]
    assert claimed == len(good)                                        # the poison was never claimed
    assert str(poison.course_id) not in applied


def _exists(conn, queue_name: str) -> bool:
    try:
        conn.channel().queue_declare(queue_name, passive=True)
        return True
    except Exception:
        return False


def test_health_names_a_service_that_is_down(platform, anonymous):
    platform.stop_service("notify")
    try:
        answer = anonymous.get("/health")
        assert answer.status_code == 503
        assert answer.json()["status"] == "unavailable"
        assert answer.json()["services"]["notify"].startswith("unavailable")
        assert answer.json()["services"]["catalogue"] == "ok"
    finally:
        platform.start_service("notify")
        platform.wait_healthy()


@pytest.mark.slow
def test_running_platform_recovers_from_a_broker_restart(platform, admin, anonymous, rabbit):
    """Every service reconnects by itself: after RabbitMQ comes back, the journey works again."""
    # the slow tests before this one restarted the broker under the shared platform too: it is
    # back before its provider is registered (a fixture would ask at once, and time out)
    platform.wait_healthy(timeout=120)
    registered = admin.post("/api/v1/providers", json={"name": f"Opleider {uuid.uuid4().hex[:6]}", "kind": "opleider"})
    assert registered.status_code == 201, registered.text
    provider = Client(platform.url, registered.json()["api_key"])
    word = f"herstart{uuid.uuid4().hex[:6]}"
    rabbit.ctl("stop_app")
    rabbit.ctl("start_app")
    platform.wait_healthy(timeout=120)
    created = provider.post("/api/v1/courses", json={**a_course(f"Na herstart {word}"), "publish": True})
    assert created.status_code == 201, created.text
    eventually(lambda: found(anonymous, word, created.json()["id"]), timeout=20, message="findable after restart")


def catalogue_with_a_provider(rabbit_config, database, service_container, name: str):
    """The catalogue service running in the test, after registering a provider (one event)."""
    container = service_container(CatalogueService, config_for(rabbit_config, database))
    container.start()
    with entrypoint_hook(container, "register_provider") as register:
        register({"name": name, "kind": "opleider"})
    return container


def test_event_no_queue_takes_stays_in_the_outbox_until_one_is_bound(rabbit_config, database, service_container):
    amqp_uri = rabbit_config["AMQP_URI"]
    catalogue_with_a_provider(rabbit_config, database, service_container, "Nog niemand luistert")
    with psycopg.connect(database, autocommit=True) as conn:
        row = eventually(lambda: conn.execute("SELECT sent_at, last_error FROM outbox WHERE attempts >= 1").fetchone(),
                         message="a returned publish")
        assert row == (None, "no queue is bound for this event yet")
        watch = watch_catalogue_events(amqp_uri)
        events = eventually(lambda: received(amqp_uri, watch), timeout=15, message="published once bound")
        assert [e["event_type"] for e in events] == ["provider_registered"]
        assert conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone() == (0,)


calls_while_away: list[int] = []


class AwayService:
    """A batching handler whose database is away: every transaction is Unavailable."""
    name = "away"
    store = Database(FlakyStore, Path(__file__).parent / "no_migrations")

    @handles_batch("catalogue", "course_published")
    def handle_course_published(self, tx, events):
        calls_while_away.append(len(events))
        raise Unavailable("the database cannot be reached now", retry_after=1)


def test_a_batch_the_database_refuses_is_retried_whole_not_one_by_one(rabbit_config, database, service_container):
    """Each event alone would wait for the database as long again (DB_WAIT_SECONDS each): a batch
    of 100 in an outage would hold its consumer 100 times as long per attempt."""
    amqp_uri = rabbit_config["AMQP_URI"]
    container = service_container(AwayService, {**config_for(rabbit_config, database), "EVENT_BATCH_WINDOW": 0.2})
    container.start()
    for n in range(10):
        publish_envelope(amqp_uri, course_event(f"Weg {n}").envelope().model_dump(mode="json"))
    dead_queue = "evt-catalogue-course_published--away.handle_course_published.dead"

    def dead_letters():
        with Connection(amqp_uri) as conn:
            return _exists(conn, dead_queue) and conn.channel().queue_declare(dead_queue, passive=True).message_count
    assert eventually(lambda: dead_letters() == 10, timeout=30, message="all ten dead-lettered after their retries")
    # four attempts each; one by one would be 4 x (1 batch + 10 single) = 44 calls
    assert len(calls_while_away) <= 16 and max(calls_while_away) > 1, calls_while_away


def test_an_event_a_queue_refuses_stays_in_the_outbox_until_it_is_taken(rabbit_config, database, service_container):
    """A queue that refuses a message (here: full, ``reject-publish``) says so with ``basic.nack``:
    the relay keeps the row, says why, and publishes it once a queue takes it. (The loss that made
    the relay use confirms instead of AMQP transactions needs a cluster whose quorum queue changes
    leader: tests/scale/test_rabbit_cluster.py.)"""
    amqp_uri = rabbit_config["AMQP_URI"]
    full = Queue(f"full-{uuid.uuid4().hex[:6]}", exchange=get_event_exchange("catalogue", {}), routing_key="#",
                 durable=True, queue_arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    with Connection(amqp_uri) as conn:
        full(conn.channel()).declare()
    catalogue_with_a_provider(rabbit_config, database, service_container, "Een volle wachtrij")
    with psycopg.connect(database, autocommit=True) as conn:
        row = eventually(lambda: conn.execute("SELECT sent_at, last_error FROM outbox WHERE attempts >= 1").fetchone(),
                         message="a refused publish")
        assert row[0] is None and "refused" in row[1], row
        watch = watch_catalogue_events(amqp_uri)
        with Connection(amqp_uri) as amqp:
            full(amqp.channel()).delete()
        events = eventually(lambda: received(amqp_uri, watch), timeout=15, message="published once taken")
        assert [e["event_type"] for e in events] == ["provider_registered"]
        assert conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone() == (0,)


def test_a_moment_read_from_the_database_is_answered_in_utc_whatever_the_server_zone(rabbit_config, database,
                                                                                     service_container):
    """The API answers moments in UTC (NL API Design Rules): a database whose TimeZone is not UTC
    (here Chatham, +13:45 or +12:45) changes nothing in the answer."""
    with psycopg.connect(database, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(f'ALTER DATABASE "{name}" SET TimeZone = \'Pacific/Chatham\'')
    container = catalogue_with_a_provider(rabbit_config, database, service_container, "Tijdzone")
    with entrypoint_hook(container, "list_providers") as list_providers:
        created = [p["created_at"] for p in list_providers()]
    assert created and all(c.endswith("+00:00") for c in created), created
    assert abs(datetime.fromisoformat(created[0]) - datetime.now(timezone.utc)).total_seconds() < 60
