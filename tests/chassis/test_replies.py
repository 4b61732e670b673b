"""RPC replies, and the requests of a proxy without confirms, go out on a channel kept open
(services/chassis/replies.py); when the broker has closed it, the next message opens a new one."""
from __future__ import annotations

import pytest
from nameko.rpc import MethodProxy, Responder, RpcProxy, rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.chassis import wire
from services.chassis.replies import REPLIES, REQUESTS, ReplyPublisher, RequestPublisher
from tests.infra import eventually


class Echo:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


class Relay:
    """Calls echo as the gateway calls search: without confirms."""
    name = "relay"

    echo = RpcProxy("echo", use_confirms=False)

    @rpc
    def relay(self, value):
        return self.echo.echo(value)


@pytest.fixture
def replies_as_deployed(monkeypatch):
    monkeypatch.setattr(Responder, "publisher_cls", ReplyPublisher)   # as services.run does
    monkeypatch.setattr(MethodProxy, "publisher_cls", RequestPublisher)
    yield
    REPLIES.drop()
    REQUESTS.drop()


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


def test_requests_without_confirms_go_on_the_kept_channel_and_survive_the_broker_closing_it(
        rabbit_config, container_factory, rabbit, replies_as_deployed):
    config = {**rabbit_config, **wire.nameko_config()}
    for service in (Echo, Relay):
        container_factory(service, config).start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        assert proxy.echo.echo("confirmed") == "confirmed"
        assert REQUESTS.client_port() is None             # a proxy with confirms: nameko's way
        assert proxy.relay.relay({"q": "heftruck"}) == {"q": "heftruck"}
        first = REQUESTS.client_port()
        assert first is not None                          # the relay's request took the kept channel
        eventually(lambda: rabbit.close_connection(first), message="the broker closed the request channel")
        # the very next request sees the closed connection and takes a new kept channel
        assert proxy.relay.relay("after") == "after"
        assert REQUESTS.client_port() not in (None, first)
        assert [proxy.relay.relay(n) for n in range(20)] == list(range(20))


def test_a_service_that_never_ran_is_a_503_not_a_500(rabbit_config, container_factory, web_config, web_session,
                                                     replies_as_deployed):
    """The gateway alone on a broker: the catalogue's confirmed request is returned at once;
    search's unconfirmed one is dropped, and the gateway answers after its RPC timeout."""
    from services.gateway.service import GatewayService

    config = {**rabbit_config, **wire.nameko_config(), **web_config, "ADMIN_TOKEN": "admin", "RPC_TIMEOUT_SECONDS": 1,
              "RATE_LIMIT_PER_MINUTE": 0}
    container_factory(GatewayService, config).start()
    answer = web_session.post("/api/v1/providers", json={"name": "Aanbieder", "kind": "opleider"},
                              headers={"Authorization": "Bearer admin"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["detail"] == "the catalogue service is not running"
    answer = web_session.get("/api/v1/search", params={"q": "heftruck"})
    assert answer.status_code == 503, answer.text
    assert answer.json()["detail"] == "the search service did not answer in 1s"
