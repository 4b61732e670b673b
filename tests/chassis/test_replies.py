"""RPC replies go out on one channel kept open (services/chassis/replies.py); when the broker has
closed it, the reply takes nameko's own way and the next one opens a new channel."""
from __future__ import annotations

import pytest
from nameko.rpc import Responder, rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.chassis import wire
from services.chassis.replies import REPLIES, ReplyPublisher
from tests.infra import eventually


class Echo:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


@pytest.fixture
def replies_as_deployed(monkeypatch):
    monkeypatch.setattr(Responder, "publisher_cls", ReplyPublisher)   # as services.run does
    yield
    REPLIES.drop()


def test_a_reply_survives_the_broker_closing_the_reply_channel(
        rabbit_config, container_factory, rabbit, replies_as_deployed):
    container = container_factory(Echo, {**rabbit_config, **wire.nameko_config()})
    container.start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        assert proxy.echo.echo({"a": [1, "é", None]}) == {"a": [1, "é", None]}
        first = REPLIES.client_port()
        eventually(lambda: rabbit.close_connection(first), message="the broker closed the reply channel")
        assert proxy.echo.echo("after") == "after"        # answered all the same
        assert proxy.echo.echo("again") == "again"
        assert REPLIES.client_port() not in (None, first)                        # on a channel opened anew
