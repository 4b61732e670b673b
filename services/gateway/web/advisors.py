"""The advisors' pages (signed in with the advisor token): the team's requests, overdue first; one
request with the person's contact details (the read is logged); record what happened. Answered
by the intake service."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from services.chassis import texts
from services.chassis.errors import Conflict, NotFound, ValidationFailed
from services.contracts.common import LIST_MAX_PAGE
from services.contracts.intake import reference, steps_after
from services.contracts.vocabulary import VOCABULARY, word
from services.gateway.routing import Routes, query
from services.gateway.web.render import check_csrf, field_errors, language, page, redirect, translate
from services.gateway.web.sessions import sign_in, sign_in_page, signed_in

ADVISOR_PAGE = 50                               # requests on one page of an advisor's list

ROUTES = Routes()


@ROUTES("GET", "/adviseurs", "the advisor's team's requests with each person's name and what they asked (each name "
        "shown is a logged read), overdue first, 50 a page; filters and a search (a sign-in form without a session)",
        kind="page", params=(query("pagina", {"type": "integer", "minimum": 1}),
                             query("status", {"enum": sorted(VOCABULARY["intake_status"])}),
                             query("te_laat", {"enum": ["1"]}), query("mijn", {"enum": ["1"]}),
                             query("zoek", {"type": "string", "maxLength": 100})))
def advisor_home(gw, request):
    me = signed_in(request, "advisor", gw.config["ADMIN_TOKEN"], gw)
    if me is None:
        return sign_in_page(gw, request, "advisor")
    # overdue first, then open by deadline, then the rest (intake's order), ADVISOR_PAGE at a time
    number = request.args.get("pagina", "1")
    number = int(number) if number.isascii() and number.isdigit() and 0 < int(number) <= LIST_MAX_PAGE else 1
    status = request.args.get("status") if request.args.get("status") in VOCABULARY["intake_status"] else None
    chosen = {"status": status or "", "te_laat": request.args.get("te_laat") == "1",
              "mijn": request.args.get("mijn") == "1", "zoek": request.args.get("zoek", "").strip()[:100]}
    listed = gw.intake.worklist(me.as_dict(), status, chosen["te_laat"], chosen["mijn"], chosen["zoek"], number,
                                ADVISOR_PAGE)
    kept = urlencode({k: ("1" if v is True else v) for k, v in chosen.items() if v})
    last = max(1, -(-listed["total"] // ADVISOR_PAGE))
    pages = [(n, f"/adviseurs?{kept}{'&' if kept else ''}pagina={n}")
             for n in sorted({1, number - 1, number, number + 1, last}) if 1 <= n <= last]
    return page("advisors/adviseurs.html", request, me=me, intakes=listed["items"], total=listed["total"], pages=pages,
                number=number, chosen=chosen, statuses=list(VOCABULARY["intake_status"]))


@ROUTES("POST", "/adviseurs/inloggen", "sign in with the advisor token", kind="form")
def advisor_sign_in(gw, request):
    return sign_in(request, "advisor", "/adviseurs", gw.config["ADMIN_TOKEN"], gw)


@ROUTES("GET", "/adviseurs/intakes/<intake_id>", "one request with contact details (the read is logged)", kind="page")
def advisor_intake_page(gw, request, intake_id):
    return _intake(gw, request, intake_id)


@ROUTES("POST", "/adviseurs/intakes/<intake_id>", "record what happened", kind="form")
def advisor_step_post(gw, request, intake_id):
    check_csrf(request)
    me = signed_in(request, "advisor", gw.config["ADMIN_TOKEN"], gw)
    if me is None:
        return redirect("/adviseurs")
    t = translate(request)
    step = {"type": request.form.get("type", ""), "note": request.form.get("note") or None}
    if request.form.get("until"):
        step["until"] = _amsterdam(request.form["until"])
    try:
        gw.intake.record_step(me.as_dict(), intake_id, step)
    except ValidationFailed as exc:
        return _intake(gw, request, intake_id, field_errors(
            exc.errors, language(request), {"type": t("Wat er gebeurde", "What happened"),
                                            "until": t("Tot wanneer", "Until when"), "note": t("Notitie", "Note")}),
            status=400)
    except Conflict:
        return _intake(gw, request, intake_id, [{"field": "type", "label": "", "message": t(
            "Deze stap past niet meer bij hoe de aanvraag nu staat: kies een van de stappen hieronder",
            "This step no longer fits where the request stands: choose one of the steps below")}], status=409)
    return redirect(f"/adviseurs/intakes/{intake_id}?vastgelegd=1")


def _intake(gw, request, intake_id, errors=(), status=200):
    me = signed_in(request, "advisor", gw.config["ADMIN_TOKEN"], gw)
    if me is None:          # from the link in a team's mail: sign in here, and land on this request
        return sign_in_page(gw, request, "advisor", next=request.path)
    try:
        intake = gw.intake.read_intake(me.as_dict(), intake_id)
    except (NotFound, ValidationFailed):
        return page("niet_gevonden.html", request, status=404)
    lang = language(request)
    return page("advisors/adviseurs_intake.html", request, status=status, me=me, intake=intake, errors=list(errors),
                steps=[(s, word("step", s, lang).capitalize()) for s in steps_after(intake["status"])],
                reference=reference(intake["id"]), saved=request.args.get("vastgelegd") == "1")


def _amsterdam(moment: str) -> str:
    """A form's date and time (no zone: the person means Dutch time) as the API reads it."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment       # the service names the field
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=texts.AMSTERDAM)).isoformat()
