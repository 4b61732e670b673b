"""Addresses the platform calls on someone else's behalf: a provider's webhook receiver (notify),
a provider's OOAPI endpoint (catalogue). One rule for both, checked twice: when the URL is given
(``outbound_url_problem``) and on every connection (``guarded_session``), which resolves the host,
refuses any address that is not public (loopback, private, link-local, reserved, multicast,
unspecified, and their IPv4-in-IPv6 forms) and connects to the very address it checked, so a name
that resolves elsewhere the second time (DNS rebinding) gains nothing. Loopback is allowed only
by an explicit setting (``OUTBOUND_ALLOW_LOOPBACK``, development and tests, never production).
Failures are told in general words (``outbound_failure``): never the bytes of an answer."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError


def outbound_url_problem(url: str, app_env: str, allow_loopback: bool = False) -> str | None:
    """Why the platform may not call ``url`` (a provider's webhook receiver, its OOAPI endpoint),
    or None. Outside development only https; in development and tests http on a loopback
    address is fine. Never a user name or password (it would be shown back) nor a fragment (it
    would let the provider choose the path); an address written as a number must be public."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an https URL"
    if parts.username or parts.password or "@" in parts.netloc:
        return "must not carry a user name or password"
    if parts.fragment or "#" in url:
        return "must not carry a fragment (#)"
    address = _literal_address(parts.hostname)
    if parts.scheme == "http":
        if app_env == "production":
            return "must be an https URL"
        if parts.hostname == "localhost" or (address is not None and address.is_loopback):
            return None
        return "http is allowed only on a loopback address (use https)"
    if address is not None:
        return address_problem(address, allow_loopback or app_env != "production")
    return None


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> str | None:
    """Why the platform may not connect to ``address``, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "is not a public address (loopback)"
    if (address.is_private or address.is_link_local or address.is_reserved or address.is_multicast
            or address.is_unspecified or not address.is_global):
        return "is not a public address"
    return None


def _literal_address(host: str):
    """``host`` as an address when it is one, in any form a resolver accepts (``2130706433``,
    ``0x7f.1``, ``127.1``), else None (a name)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.ip_address(socket.inet_aton(host))
    except OSError:
        return None


class OutboundRefused(NewConnectionError):
    """The host resolves to an address the platform does not call."""


def _checked(connection_cls, allow_loopback: bool):
    class Checked(connection_cls):
        def _new_conn(self):
            literal = _literal_address(self._dns_host)
            try:
                found = [] if literal else socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror:
                return super()._new_conn()      # urllib3 reports the unknown name
            addresses = [literal] if literal else [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
            for address in addresses:
                if problem := address_problem(address, allow_loopback):
                    raise OutboundRefused(self, f"refused: {self.host} {problem}")
            name, self._dns_host = self._dns_host, str(addresses[0])    # connect to what was checked
            try:
                return super()._new_conn()
            finally:
                self._dns_host = name
    return Checked


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allow_loopback: bool, **kwargs):
        self.allow_loopback = allow_loopback
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        http = type("GuardedHTTPPool", (HTTPConnectionPool,),
                    {"ConnectionCls": _checked(HTTPConnection, self.allow_loopback)})
        https = type("GuardedHTTPSPool", (HTTPSConnectionPool,),
                     {"ConnectionCls": _checked(HTTPSConnection, self.allow_loopback)})
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def guarded_session(allow_loopback: bool = False) -> requests.Session:
    """A requests session that connects only to public addresses (loopback too when allowed),
    ignores proxy variables of the environment and follows no redirect on its own."""
    session = requests.Session()
    session.trust_env = False
    adapter = _GuardedAdapter(allow_loopback)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def outbound_failure(exc: Exception) -> str:
    """What went wrong with an outbound request, in words that tell a provider what to fix and
    nothing about the network behind the platform (no answer bytes, no addresses, no errno)."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    reason = exc
    while reason is not None:
        if isinstance(reason, OutboundRefused):
            return "refused: the host is not a public address"
        reason = getattr(reason, "reason", None) or (reason.args[0] if getattr(reason, "args", None)
                                                     and isinstance(reason.args[0], Exception) else None)
    return "could not connect"
