"""Requests of a read-only service are acknowledged a few at a time (services/chassis/acks.py),
and never one that is still running: it goes back to the queue if the service dies."""
from __future__ import annotations

from urllib.parse import unquote

import eventlet
import pytest
from amqp.channel import Channel
from kombu import Connection
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.chassis import wire
from services.chassis.acks import BatchAckQueueConsumer
from tests.infra import eventually


class Reader:
    name = "reader"
    requests_only_read = True      # so its process acknowledges in batches (runtime.patches)

    @rpc
    def read(self, seconds):
        eventlet.sleep(seconds)
        return seconds


@pytest.fixture
def acks(monkeypatch):
    """Every ack sent on the reader's channel (its batched acks are installed as services.run
    installs them: the service_container fixture)."""
    channels, sent = set(), []
    handle, basic_ack = BatchAckQueueConsumer.handle_message, Channel.basic_ack

    def handle_message(self, provider, body, message):
        channels.add(id(message.channel))
        return handle(self, provider, body, message)

    def record(channel, delivery_tag, multiple=False, **kw):
        if id(channel) in channels:
            sent.append((delivery_tag, multiple))
        return basic_ack(channel, delivery_tag, multiple=multiple, **kw)

    monkeypatch.setattr(BatchAckQueueConsumer, "handle_message", handle_message)
    monkeypatch.setattr(Channel, "basic_ack", record)
    return sent


def test_finished_requests_are_acknowledged_together_and_none_is_left(rabbit_config, service_container, rabbit, acks):
    service_container(Reader, {**rabbit_config, **wire.nameko_config(), "max_workers": 4}).start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        for _ in range(3):
            calls = [proxy.reader.read.call_async(0.01) for _ in range(20)]
            assert [call.result() for call in calls] == [0.01] * 20
    vhost = unquote(rabbit_config["AMQP_URI"].rsplit("/", 1)[1])
    eventually(lambda: rabbit.message_counts(vhost, "rpc-reader") == (0, 0), message="every request acknowledged")
    assert 0 < len(acks) < 60 and any(multiple for _, multiple in acks), acks


def test_a_running_request_is_never_acknowledged_by_later_ones(rabbit_config, service_container, rabbit, acks):
    """A long request first, then many short ones through max_workers=4 (prefetch 4): the
    short ones are answered (acknowledged one by one while the long one holds the multiple
    ack back), and when the service dies the long one goes back to the queue."""
    container = service_container(Reader, {**rabbit_config, **wire.nameko_config(), "max_workers": 4})
    container.start()
    vhost = unquote(rabbit_config["AMQP_URI"].rsplit("/", 1)[1])
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        proxy.reader.read.call_async(60)
        eventually(lambda: rabbit.message_counts(vhost, "rpc-reader") == (0, 1), message="the long request runs")
        assert [proxy.reader.read.call_async(0).result() for _ in range(12)] == [0] * 12
        # the last reply can reach us before its request is settled (the reply goes first)
        eventually(lambda: rabbit.message_counts(vhost, "rpc-reader")[1] <= 2, message="the last one settled")
        container.kill()
        eventually(lambda: rabbit.message_counts(vhost, "rpc-reader")[1] == 0, message="the broker took them back")
        with Connection(rabbit_config["AMQP_URI"]) as conn:
            back = []
            while (message := conn.default_channel.basic_get("rpc-reader", no_ack=True)) is not None:
                back.append(wire.decode(message.body)["args"])
    assert [60] in back and len(back) <= 2, back       # the long one, and at most one held short one


def test_after_the_broker_closed_the_connection_requests_are_answered_and_acknowledged(
        rabbit_config, service_container, rabbit, acks):
    """The channel's delivery tags start again on the new connection: what was unsettled on
    the old one is the broker's again, and the new one is acknowledged by its own tags."""
    service_container(Reader, {**rabbit_config, **wire.nameko_config(), "max_workers": 4}).start()
    vhost = unquote(rabbit_config["AMQP_URI"].rsplit("/", 1)[1])
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        calls = [proxy.reader.read.call_async(0.01) for _ in range(10)]
        assert [call.result() for call in calls] == [0.01] * 10
    eventually(lambda: rabbit.close_connections(vhost) > 0, message="the broker closed the service's connection")

    def answered():
        try:
            with ClusterRpcProxy(rabbit_config, timeout=2) as proxy:
                return proxy.reader.read(0) == 0
        except Exception:  # noqa: BLE001 - still reconnecting
            return False
    eventually(answered, timeout=30, message="the service consumes again")
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        for _ in range(3):
            calls = [proxy.reader.read.call_async(0.01) for _ in range(20)]
            assert [call.result() for call in calls] == [0.01] * 20
    eventually(lambda: rabbit.message_counts(vhost, "rpc-reader") == (0, 0), message="every request acknowledged")
