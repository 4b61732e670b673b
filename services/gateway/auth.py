"""Who is calling: the admin (ADMIN_TOKEN), a provider (its API key), or nobody."""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from services.chassis.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Principal:
    role: str                    # "admin" | "provider"
    id: str | None = None        # the provider id
    name: str | None = None
    kind: str | None = None      # the provider kind (oo-fonds, ...)

    @property
    def actor(self) -> str:
        """Who did it, as the catalogue records it: ``admin`` or ``provider:<id>``."""
        return "admin" if self.role == "admin" else f"provider:{self.id}"


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(request, admin_token: str, authenticate_provider) -> Principal | None:
    """The caller, None when no credentials were sent; Unauthorized for bad credentials."""
    token = bearer_token(request)
    if token is None:
        if request.headers.get("Authorization"):
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        return None
    if hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role="admin")
    provider = authenticate_provider(token)
    return Principal(role="provider", id=provider["id"], name=provider["name"], kind=provider["kind"])


def require(principal: Principal | None, *roles: str) -> Principal:
    if principal is None:
        raise Unauthorized("this endpoint needs credentials: 'Authorization: Bearer <token>'")
    if principal.role not in roles:
        raise Forbidden(f"this endpoint is for: {', '.join(roles)}")
    return principal
