"""Bearer tokens the services issue (advisors', analysts', a person's link to their request):
random, shown once, stored only as a hash. The prefix tells the gateway which service checks it."""
from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # a 256-bit random token needs no slow hash: sha256 cannot be brute-forced back to it
    return hashlib.sha256(token.encode()).hexdigest()
