"""An analyst's RabbitMQ user, tried as an attacker holding it would: it reads the events
exchanges through its own queues and nothing else (finding 1 of the outside security test: with
read ``.*`` it bound a queue to ``nameko-rpc`` and saw API keys, tokens and people's contact
details in RPC replies, and it could get from and purge every service's queues)."""
from __future__ import annotations

import uuid

import amqp
import pytest
from kombu import Connection, Exchange, Queue

from services.analytics import analyst_user
from tests.e2e.test_intake import published_course
from tests.infra import eventually


@pytest.fixture
def analyst_uri(platform):
    name = f"t{uuid.uuid4().hex[:8]}"
    uri = analyst_user.create(platform.rabbit.api_uri, platform.amqp_uri, name)
    try:
        yield name, uri
    finally:
        assert analyst_user.delete(platform.rabbit.api_uri, platform.amqp_uri, name)


def refused(uri: str, action) -> bool:
    """Whether the broker refuses ``action(channel)`` (a refusal closes the channel, so each try
    gets a connection of its own)."""
    with Connection(uri) as conn:
        channel = conn.channel()
        try:
            action(channel)
            channel.basic_qos(0, 1, False)      # a refusal arrives asynchronously: the next call raises it
        except amqp.exceptions.AccessRefused:
            return True
    return False


@pytest.mark.parametrize("exchange", ["nameko-rpc", "gateway.rate_limits"])
def test_an_analyst_cannot_bind_to_what_is_not_an_events_exchange(platform, analyst_uri, exchange, attack):
    name, uri = analyst_uri
    own = f"analyst.{name}.spy"

    def bind(channel):
        channel.queue_declare(own, auto_delete=True)
        channel.queue_bind(own, exchange, routing_key="#")
    assert refused(uri, bind), f"the analyst bound a queue to {exchange}"
    attack(name="1. analyst's AMQP user binds to RPC", tried=f"a queue of its own bound to {exchange} with #",
           held="ACCESS_REFUSED: read only on the <service>.events exchanges and its own analyst.<name>.* queues")


@pytest.mark.parametrize("verb", ["get", "consume", "purge"])
def test_an_analyst_cannot_read_or_purge_a_queue_not_their_own(platform, analyst_uri, verb, attack):
    _, uri = analyst_uri
    queues = [q["name"] for q in platform.rabbit.queues(platform.vhost)]
    assert "rpc-intake" in queues and any(q.endswith(".dead") for q in queues)
    for queue in ("rpc-intake", next(q for q in queues if q.endswith(".dead"))):
        action = {"get": lambda ch: ch.basic_get(queue, no_ack=False),
                  "consume": lambda ch: ch.basic_consume(queue, callback=lambda m: None),
                  "purge": lambda ch: ch.queue_purge(queue)}[verb]
        assert refused(uri, action), f"the analyst could {verb} {queue}"
    attack(name=f"1. analyst's AMQP user {verb}s a service's queue", tried=f"basic.{verb} on rpc-intake and a dead-letter queue",
           held="ACCESS_REFUSED on both")


def test_an_analysts_own_queue_on_an_events_exchange_still_receives(platform, analyst_uri, provider):
    name, uri = analyst_uri
    with Connection(uri) as conn:
        channel = conn.channel()
        queue = Queue(f"analyst.{name}.courses", durable=False, auto_delete=True,
                      exchange=Exchange("catalogue.events", type="topic", passive=True), routing_key="course_published")
        queue(channel).declare()
        course = published_course(provider, platform)

        def arrived():
            message = queue(channel).get(no_ack=True)
            return message is not None and message.payload["payload"]["course_id"] == course["id"]
        eventually(arrived, timeout=20, interval=0.05, message="the course_published event on the analyst's queue")
