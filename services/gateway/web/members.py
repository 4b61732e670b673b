"""The members of an organisation, on its own pages (``/aanbieders/leden``, ``/adviseurs/leden``,
``/analyse/leden``): who may sign in for it as themselves, with which role, and what changed
lately. A beheerder (or a provider signed in with its key) invites a person by e-mail address
and removes a member; removing one ends their sessions on their next request. The service that
keeps the organisation decides who may (``chassis/members.py``); the page asks it."""
from __future__ import annotations

from services.chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.contracts.members import ANALYSTS
from services.gateway.routing import Routes
from services.gateway.web.render import check_csrf, field_errors, language, page, redirect, translate
from services.gateway.web.sessions import HOMES, KEEPER_OF, sign_in_page, signed_in

ROUTES = Routes()


def organisation_of(me) -> str | None:
    """The organisation a signed-in principal acts for (the admin: none)."""
    return {"provider": me.id, "advisor": me.team, "analyst": ANALYSTS}.get(me.role)


def may_manage(me) -> bool:
    """Whether the page offers the changes (the keeping service decides again)."""
    return (me.person or {}).get("role") == "beheerder" or (me.person is None and me.role == "provider")


def _members_page(gw, request, role: str, errors=(), status: int = 200, asked=None):
    me = signed_in(request, role, gw.config["ADMIN_TOKEN"], gw)
    if me is None:
        return sign_in_page(gw, request, role, next=request.path)
    if organisation_of(me) is None:     # the admin: members are changed on the API, per organisation
        return page("niet_gevonden.html", request, status=404)
    found = gw.client(KEEPER_OF[role]).members_of(me.as_dict(), organisation_of(me))
    return page("members/leden.html", request, status=status, me=me, role=role, home=HOMES[role],
                members=found["members"], log=found["log"], manage=may_manage(me), errors=list(errors),
                asked=asked or {}, done=request.args.get("klaar"))


def _change(gw, request, role: str):
    check_csrf(request)
    me = signed_in(request, role, gw.config["ADMIN_TOKEN"], gw)
    if me is None or organisation_of(me) is None:
        return redirect(HOMES[role])
    t = translate(request)
    keeper, organisation = gw.client(KEEPER_OF[role]), organisation_of(me)
    back = f"{HOMES[role]}/leden" + ("?lang=en&" if language(request) == "en" else "?")
    asked = {"email": request.form.get("email", "").strip(), "role": request.form.get("role", "")}
    try:
        if request.form.get("verwijder"):
            keeper.remove_member(me.as_dict(), organisation, request.form["verwijder"])
            return redirect(back + "klaar=verwijderd")
        keeper.invite_member(me.as_dict(), organisation, asked)
        return redirect(back + "klaar=uitgenodigd")
    except ValidationFailed as exc:
        labels = {"email": t("E-mailadres", "Email address"), "role": t("Rol", "Role")}
        return _members_page(gw, request, role, field_errors(exc.errors, language(request), labels), 400, asked)
    except Conflict:
        return _members_page(gw, request, role, [{"field": "email", "label": t("E-mailadres", "Email address"), "message": t(
            "Dit e-mailadres is hier al lid, van jouw of van een andere organisatie",
            "This address is a member here already, of yours or of another organisation")}], 409, asked)
    except Forbidden:
        return _members_page(gw, request, role, [{"field": "email", "label": t("E-mailadres", "Email address"), "message": t(
            "Alleen een beheerder van je organisatie kan leden uitnodigen of verwijderen",
            "Only an administrator of your organisation can invite or remove members")}], 403, asked)
    except NotFound:
        return page("niet_gevonden.html", request, status=404)


def _declare(role: str, home: str):
    def show(gw, request):
        return _members_page(gw, request, role)

    def change(gw, request):
        return _change(gw, request, role)
    show.__name__, change.__name__ = f"{role}_members_page", f"{role}_members_change"
    ROUTES("GET", f"{home}/leden", f"the organisation's members ({role}s): who signs in for it, their role, the last "
           "changes; a beheerder's form to invite and remove", kind="page")(show)
    ROUTES("POST", f"{home}/leden", "invite a member (email, role) or remove one (verwijder: the member's id); "
           "a beheerder only", kind="form")(change)


for _role, _home in HOMES.items():
    _declare(_role, _home)
