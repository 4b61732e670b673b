"""Who is calling: the admin (ADMIN_TOKEN), a provider (its API key), an advisor or an analyst
(their tokens, told apart by prefix and checked by the service that issued them), or nobody."""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from services.chassis.errors import Forbidden, Unauthorized


# a token's prefix says which service issued it (and checks it): (service, role); a provider's
# API key has none
ISSUERS = {"adv_": ("intake", "advisor"), "ana_": ("analytics", "analyst")}
PROVIDER_ISSUER = ("catalogue", "provider")


def issuer(token: str) -> tuple[str, str]:
    """(the service that issued ``token``, the role it gives)."""
    return ISSUERS.get(token[:4], PROVIDER_ISSUER)


def _check(gw, role: str, token: str) -> dict:
    """Who holds ``token``, asked of the service that issued it."""
    if role == "advisor":
        return gw.intake.authenticate_advisor(token)
    if role == "analyst":
        return gw.analytics.authenticate_analyst(token)
    return gw.catalogue.authenticate_provider(token)


@dataclass(frozen=True)
class Principal:
    role: str                    # "admin" | "provider" | "advisor" | "analyst"
    id: str | None = None        # the provider's, advisor's or analyst's id
    name: str | None = None
    kind: str | None = None      # the provider kind (oo-fonds, ...)
    team: str | None = None      # an advisor's team
    # the person who signed in as a member of the organisation (contracts.members.Person); None
    # for a key or token, which names an organisation or a role, not who holds it
    person: dict | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        """As a service receives the caller, to decide what it may see (and log who saw it)."""
        return {"role": self.role, "id": self.id, "name": self.name, "team": self.team, "person": self.person}

    @property
    def actor(self) -> str:
        """Who did it, as the catalogue records it: ``admin``, ``provider:<id>``, or with the
        member who did it ``provider:<id>:member:<member id>``."""
        if self.role == "admin":
            return "admin"
        return f"provider:{self.id}" + (f":member:{self.person['id']}" if self.person else "")


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(request, admin_token: str, gw) -> Principal | None:
    """The caller, None when no credentials were sent; Unauthorized for bad credentials (the
    service that issued them is asked through ``gw``'s clients)."""
    token = bearer_token(request)
    if token is None:
        if request.headers.get("Authorization"):
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        return None
    return principal_for(token, admin_token, gw)


def principal_for(token: str, admin_token: str, gw) -> Principal:
    """Whose ``token`` this is (a header's, or a page's sign-in cookie's); Unauthorized if no one's."""
    if hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role="admin")
    _, role = issuer(token)
    who = _check(gw, role, token)
    return Principal(role=role, id=who["id"], name=who["name"], kind=who.get("kind"), team=who.get("team"))


def require(principal: Principal | None, *roles: str) -> Principal:
    if principal is None:
        raise Unauthorized("this endpoint needs credentials: 'Authorization: Bearer <token>'")
    if principal.role not in roles:
        raise Forbidden(f"this endpoint is for: {', '.join(roles)}")
    return principal
