"""RPC replies, and the requests of a proxy without confirms, go out on a channel kept open
(services/chassis/replies.py); when the broker has closed it, the next message opens a new one.
Replies are consumed without acknowledgements."""
from __future__ import annotations

from urllib.parse import unquote

from nameko.rpc import RpcProxy, rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.chassis import wire
from services.chassis.replies import REPLIES, REQUESTS
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


def test_a_reply_survives_the_broker_closing_the_reply_channel(
        rabbit_config, service_container, rabbit):
    container = service_container(Echo, {**rabbit_config, **wire.nameko_config()})
    container.start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        assert proxy.echo.echo({"a": [1, "é", None]}) == {"a": [1, "é", None]}
        first = REPLIES.client_port()
        eventually(lambda: rabbit.close_connection(first), message="the broker closed the reply channel")
        assert proxy.echo.echo("after") == "after"        # answered all the same
        assert proxy.echo.echo("again") == "again"
        assert REPLIES.client_port() not in (None, first)                        # on a channel opened anew


def test_requests_without_confirms_go_on_the_kept_channel_and_survive_the_broker_closing_it(
        rabbit_config, service_container, rabbit):
    config = {**rabbit_config, **wire.nameko_config()}
    for service in (Echo, Relay):
        service_container(service, config).start()
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


def test_replies_are_consumed_without_acknowledgements(rabbit_config, service_container, rabbit):
    """The relay's reply queue is consumed no_ack; its requests still are acknowledged. Were
    the replies delivered for acknowledgement and never acknowledged, the broker would stop
    after max_workers of them (the prefetch), and the calls below would time out."""
    config = {**rabbit_config, **wire.nameko_config(), "max_workers": 4}
    for service in (Echo, Relay):
        service_container(service, config).start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        assert [proxy.relay.relay(n) for n in range(40)] == list(range(40))
        vhost = unquote(rabbit_config["AMQP_URI"].rsplit("/", 1)[1])
        eventually(lambda: len(rabbit.consumers(vhost)) >= 3, message="the management plugin lists the consumers")
    acks = {c["queue"]["name"]: c["ack_required"] for c in rabbit.consumers(vhost)}
    assert [ack for queue, ack in acks.items() if queue.startswith("rpc.reply-relay")] == [False], acks
    assert acks["rpc-echo"] is True and acks["rpc-relay"] is True


def test_a_service_that_never_ran_is_a_503_not_a_500(rabbit_config, service_container, web_config, web_session):
    """The gateway alone on a broker: the catalogue's confirmed request is returned at once;
    search's unconfirmed one is dropped, and the gateway answers after its RPC timeout."""
    from services.chassis.settings import config_of
    from services.gateway.service import GatewayService, Settings

    config = {**config_of(Settings, amqp_uri=rabbit_config["AMQP_URI"], admin_token="admin-token-of-this-test",
                          rpc_timeout_seconds=1, rate_limit_per_minute=0), **web_config}
    service_container(GatewayService, config).start()
    answer = web_session.post("/api/v1/providers", json={"name": "Aanbieder", "kind": "opleider"},
                              headers={"Authorization": "Bearer admin-token-of-this-test"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["detail"] == "the catalogue service is not running"
    answer = web_session.get("/api/v1/search", params={"q": "heftruck"})
    assert answer.status_code == 503, answer.text
    assert answer.json()["detail"] == "the search service did not answer in 1s"
