"""Buffered events (``search_performed``): handed over by the worker, published in bursts on the
service's exchange, every one of them, in order, the last ones on a graceful stop, and the ones
dispatched while RabbitMQ is away once it is back."""
from __future__ import annotations

import time
import uuid

import pytest
from kombu import Connection, Queue
from nameko.rpc import rpc
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook

from services.chassis.buffered import BufferedDispatcher
from services.contracts.events import EventEnvelope
from tests.infra import eventually


class Counter:
    name = "counter"
    dispatch = BufferedDispatcher()

    @rpc
    def count(self, start: int, n: int) -> None:
        for number in range(start, start + n):
            self.dispatch(EventEnvelope(event_type="number_counted", source="counter",
                                        payload={"number": number}).model_dump(mode="json"))


class PatientCounter(Counter):
    """Its bursts wait half a minute: what it dispatched just before a stop is still waiting then."""
    dispatch = BufferedDispatcher(window=30)


@pytest.fixture
def watch(rabbit_config):
    """A durable queue bound to every event of ``counter.events``; returns what arrived so far
    (payload, content type, delivery mode), oldest first."""
    amqp_uri = rabbit_config["AMQP_URI"]
    queue = Queue(f"watch-{uuid.uuid4().hex[:6]}", exchange=get_event_exchange("counter", {}),
                  routing_key="#", durable=True)
    with Connection(amqp_uri) as conn:
        queue(conn.channel()).declare()
    arrived = []

    def received():
        with Connection(amqp_uri) as conn:
            bound = queue(conn.channel())
            while (message := bound.get(no_ack=True)) is not None:
                arrived.append((message.payload["payload"]["number"], message.content_type,
                                message.properties.get("delivery_mode")))
        return arrived
    return received


def numbers(arrived) -> list[int]:
    return [number for number, _, _ in arrived]


def test_every_event_goes_out_in_order_as_persistent_json(rabbit_config, container_factory, watch):
    container = container_factory(Counter, rabbit_config)
    container.start()
    with entrypoint_hook(container, "count") as count:
        count(0, 50)
        count(50, 50)
    arrived = eventually(lambda: len(watch()) == 100 and watch(), message="100 events")
    assert numbers(arrived) == list(range(100))
    assert {(content_type, mode) for _, content_type, mode in arrived} == {("application/json", 2)}


def test_a_graceful_stop_publishes_the_events_still_waiting(rabbit_config, container_factory, watch):
    container = container_factory(PatientCounter, rabbit_config)
    container.start()
    with entrypoint_hook(container, "count") as count:
        count(0, 7)
    started = time.monotonic()
    container.stop()
    assert numbers(watch()) == list(range(7))
    assert time.monotonic() - started < 10            # without waiting out the burst window


@pytest.mark.slow
def test_events_dispatched_while_the_broker_is_away_go_out_once_it_is_back(
        rabbit_config, container_factory, watch, rabbit):
    container = container_factory(Counter, rabbit_config)
    container.start()
    with entrypoint_hook(container, "count") as count:
        count(0, 3)
    eventually(lambda: numbers(watch()) == [0, 1, 2], message="the first events")

    rabbit.ctl("stop_app")
    try:
        with entrypoint_hook(container, "count") as count:     # runs the worker without the broker
            count(3, 20)
    finally:
        rabbit.ctl("start_app")
    eventually(lambda: numbers(watch()) == list(range(23)), timeout=60, message="every event after the outage")
