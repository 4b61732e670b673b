"""Addresses the platform calls on someone else's behalf: a provider's webhook receiver (notify),
a provider's OOAPI endpoint (catalogue). One rule for both."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def outbound_url_problem(url: str, app_env: str) -> str | None:
    """Why the platform may not call ``url`` (a provider's webhook receiver, its OOAPI endpoint),
    or None. Outside development only https; in development and tests http on a loopback
    address is fine. Never a user name or password in it (it would be shown back)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an https URL"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if parts.scheme == "https":
        return None
    if app_env == "production":
        return "must be an https URL"
    if parts.hostname == "localhost" or _loopback(parts.hostname):
        return None
    return "http is allowed only on a loopback address (use https)"


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
