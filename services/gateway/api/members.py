"""The members of an organisation on the API: for the admin to invite a provider's, a team's or
the analysts' first beheerder (after that the beheerders do it on their pages), and for a
provider's own key. The service that keeps the organisation decides who may
(``chassis/members.py``); one declaration per kind of organisation, made from the table below."""
from __future__ import annotations

from werkzeug.wrappers import Response

from services.contracts.members import ANALYSTS, NewMember
from services.gateway.http import json_response, read_model
from services.gateway.routing import Routes
from services.gateway.schemas import OBJECT

ROUTES = Routes()

# the kinds of organisation: (its path, the role that acts for one, the keeping service, its name in a path or fixed)
ORGANISATIONS = (
    ("/api/v1/providers/<provider_id>/members", "provider", "catalogue", "provider_id"),
    ("/api/v1/advisor-teams/<team>/members", "advisor", "intake", "team"),
    ("/api/v1/analysts/members", "analyst", "analytics", None),
)


def _declare(path: str, role: str, keeper: str, named: str | None):
    def organisation(values: dict) -> str:
        return values.pop(named) if named else ANALYSTS

    def list_members(gw, request, me, **values):
        return json_response(gw.client(keeper).members_of(me.as_dict(), organisation(values)))

    def invite_member(gw, request, me, **values):
        invitation = read_model(request, NewMember).model_dump()
        return json_response(gw.client(keeper).invite_member(me.as_dict(), organisation(values), invitation), 201)

    def remove_member(gw, request, me, member_id, **values):
        gw.client(keeper).remove_member(me.as_dict(), organisation(values), member_id)
        return Response(status=204)

    for handler in (list_members, invite_member, remove_member):
        handler.__name__ = f"{role}_{handler.__name__}"
    roles = ("admin", role)
    ROUTES("GET", path, f"The organisation's members ({role}s who sign in as themselves) and its last changes",
           roles=roles, answer=OBJECT, errors=(403,))(list_members)
    ROUTES("POST", path, "Invite a member by e-mail address, as beheerder or medewerker (a beheerder, the admin or a "
           "provider's key)", roles=roles, body=NewMember, answer=OBJECT, status=201, errors=(403, 404, 409))(invite_member)
    ROUTES("DELETE", path + "/<member_id>", "Remove a member: their sessions end on their next request", roles=roles,
           status=204, errors=(403, 404), responses={"204": {"description": "removed"}})(remove_member)


for _declared in ORGANISATIONS:
    _declare(*_declared)
