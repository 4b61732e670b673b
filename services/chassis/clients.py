"""Typed RPC clients. A service's RPC methods are declared once, in its contract module
(``services/contracts/<service>.py``), as a ``ServiceClient`` subclass whose methods are
``@remote`` declarations: their signatures and answers are the contract, their bodies empty. A
caller gets one as a nameko dependency, ``intake = Client(IntakeClient)``, and calls
``self.intake.submit_intake(NewIntake(...), ...)``: "go to definition" leads from the caller to
the contract, and a contract test checks every declaration against the service's methods.

A request model is sent as JSON (the fields that were set, as the caller's HTTP body had them);
everything else as it is. The answer comes back as JSON (dicts: an answer's ``TypedDict`` names
its keys). A service that is not running, a broker that cannot be reached, or an answer that
does not come within the client's timeout is ``Unavailable`` (a 503 with Retry-After at the
gateway): nothing is waited for longer than that."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, ClassVar

import eventlet
from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from pydantic import BaseModel

from services.chassis.errors import Unavailable

RETRY_AFTER = 5


class ServiceClient:
    """The RPC methods of one service (``service``), over a nameko service proxy."""

    service: ClassVar[str]

    def __init__(self, proxy, timeout: float | None = None):
        self._proxy, self._timeout = proxy, timeout

    @classmethod
    def declared(cls) -> dict[str, inspect.Signature]:
        """Every RPC method this contract declares, with its signature."""
        return {name: member.signature for name, member in inspect.getmembers(cls) if isinstance(member, remote)}

    def _send(self, method: str, args: tuple, kwargs: dict, timeout: float | None) -> Callable[[], Any]:
        """Send the request now; the returned function waits for its answer."""
        try:
            reply = getattr(self._proxy, method).call_async(*args, **kwargs)
        except UnknownService:      # no queue took the request: the service never ran on this broker
            raise Unavailable(f"the {self.service} service is not running", retry_after=RETRY_AFTER) from None
        except (KombuOperationalError, AMQPConnectionError, OSError) as exc:    # the broker is away
            raise Unavailable(f"the message broker cannot be reached ({type(exc).__name__}); nothing was sent",
                              retry_after=RETRY_AFTER) from None
        limit = timeout or self._timeout

        def answer():
            if limit is None:
                return reply.result()
            try:
                with eventlet.Timeout(limit):
                    return reply.result()
            except eventlet.Timeout:
                raise Unavailable(f"the {self.service} service did not answer in {limit:g}s",
                                  retry_after=RETRY_AFTER) from None
        return answer


class remote:
    """An RPC method of a contract: ``client.method(...)`` asks the service and waits for the
    answer (``timeout=`` seconds at most, else the client's); ``client.method.later(...)`` sends
    it now and returns the function that waits."""

    def __init__(self, declaration: Callable):
        functools.update_wrapper(self, declaration)
        self.name = declaration.__name__
        self.signature = inspect.signature(declaration)

    def __get__(self, client, owner=None):
        return self if client is None else BoundRemote(client, self)


class BoundRemote:
    def __init__(self, client: ServiceClient, method: remote):
        self.client, self.method = client, method

    def __call__(self, *args, timeout: float | None = None, **kwargs):
        return self.later(*args, timeout=timeout, **kwargs)()

    def later(self, *args, timeout: float | None = None, **kwargs) -> Callable[[], Any]:
        bound = self.method.signature.bind(self.client, *args, **kwargs)
        return self.client._send(self.method.name, tuple(_wire(v) for v in bound.args[1:]),
                                 {k: _wire(v) for k, v in bound.kwargs.items()}, timeout)


def _wire(value):
    return value.model_dump(mode="json", exclude_unset=True) if isinstance(value, BaseModel) else value


class Client(RpcProxy):
    """A nameko dependency: the typed client of ``contract`` (a ServiceClient subclass) over an
    RpcProxy to its service (``options`` as RpcProxy takes them). ``timeout_setting`` names the
    config value that bounds a call's wait (the gateway's RPC_TIMEOUT_SECONDS)."""

    def __init__(self, contract: type[ServiceClient], timeout_setting: str | None = None, **options):
        super().__init__(contract.service, **options)
        self.contract, self.timeout_setting = contract, timeout_setting

    def get_dependency(self, worker_ctx):
        proxy = super().get_dependency(worker_ctx)
        timeout = self.container.config.get(self.timeout_setting) if self.timeout_setting else None
        return self.contract(proxy, timeout)


class SessionKeeper(ServiceClient):
    """What a service that issues credentials answers besides its own methods: health, and the
    page sessions it keeps for them (``chassis/sessions.py``)."""

    @remote
    def health(self) -> dict:
        """The service and its database answer."""

    @remote
    def open_session(self, token: str, hours: float) -> str:
        """A page session for the holder of ``token``: its id."""

    @remote
    def open_marked_session(self, marker: str, hours: float) -> str:
        """A page session for the admin (``marker``: a keyed hash of the admin token)."""

    @remote
    def session_principal(self, session: str) -> dict:
        """Whose session this is; Unauthorized when it ended, expired or was revoked."""

    @remote
    def end_session(self, session: str) -> None:
        """The session ends."""

    # members of the organisations it keeps, who sign in as themselves (chassis/members.py)

    @remote
    def open_member_session(self, signed_in: dict, hours: float) -> str:
        """A page session for a person the identity provider vouched for (``SignedIn``);
        Unauthorized when they are no member here."""

    @remote
    def members_of(self, principal: dict, organisation: str) -> dict:
        """``{"members": [Member], "log": [...]}`` of the organisation."""

    @remote
    def invite_member(self, principal: dict, organisation: str, invitation: dict) -> dict:
        """A new ``Member`` (``invitation``: ``NewMember``); Forbidden unless a beheerder (or the admin) asks."""

    @remote
    def remove_member(self, principal: dict, organisation: str, member_id: str) -> None:
        """The member removed; their sessions end on their next request."""
