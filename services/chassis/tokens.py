"""Bearer tokens the services issue (advisors', analysts', a person's link to their request, a
subscriber's confirm and unsubscribe links): shown once or sent by mail, stored only as a hash.
The prefix tells the gateway which service checks it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def derived_token(key: str, prefix: str, *parts: str) -> str:
    """A token the service can give again later without keeping it (a link in a mail sent after
    the answer that showed it): a keyed hash of what it is for. Only a holder of ``key`` makes
    it; the service still stores only ``token_hash`` of it to look it up."""
    digest = hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).digest()
    return prefix + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    # a 256-bit random or keyed token needs no slow hash: sha256 cannot be brute-forced back to it
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(key: str, value: str) -> str:
    """An address as a keyed hash (a contact counted for spam limits, a delivered message's
    recipient): comparable without keeping the address itself."""
    return hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()
