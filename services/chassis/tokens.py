"""Bearer tokens the services issue (providers' API keys, advisors' and analysts' tokens, a
person's link to their request, a subscriber's confirm and unsubscribe links): shown once or sent
by mail, stored only as a keyed hash (``credential_hash``, key ``CREDENTIAL_KEY``), so a copy of
a database without the key cannot even check a guess. The prefix tells the gateway which service
checks it.

A credential is looked up by its keyed hash: the index's timing could only tell an attacker about
hashes they cannot compute. Where code compares a hash it has in hand, it uses ``same_hash``
(constant time)."""
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


KEYED = "k1$"       # the mark of a keyed hash (a stored hash without it is an old plain sha256)


def token_hash(token: str) -> str:
    # a 256-bit random or keyed token needs no slow hash: sha256 cannot be brute-forced back to it
    return hashlib.sha256(token.encode()).hexdigest()


def credential_hash(key: str, token: str) -> str:
    """How a credential is stored and looked up: an HMAC (``key``) of its sha256."""
    return rekeyed(key, token_hash(token))


def rekeyed(key: str, plain_hash: str) -> str:
    """The keyed hash of a credential whose plain sha256 is all that was stored (before keys):
    what a service's start-up turns its old hashes into, without knowing the credentials."""
    return KEYED + hmac.new(key.encode(), plain_hash.encode(), hashlib.sha256).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def keyed_hash(key: str, value: str) -> str:
    """An address as a keyed hash (a contact counted for spam limits, a delivered message's
    recipient): comparable without keeping the address itself."""
    return hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()
