"""The intake form (with or without a course) and its confirmation, and the person's own request
with its token: status, team, deadline and history, the download of everything held, erasure.
Answered by the intake service."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.chassis.errors import NotFound, TooManyRequests, ValidationFailed, validated
from services.contracts.intake import CONSENT_TEXT, CONSENT_VERSION, NewIntake, reference
from services.gateway.http import request_id
from services.gateway.routing import PERSON_TOKEN, Routes
from services.gateway.web.render import check_csrf, field_errors, language, page, redirect, secure_cookies
from services.gateway.web.words import INTAKE_LABELS, labels, situation_names

ROUTES = Routes()
MADE_HERE, MADE_HERE_KEPT = "sa_aanvragen", 5      # the cookie of a browser's own recent requests (id.token)


@ROUTES("GET", "/aanvragen", "the intake form without a course", kind="page")
def intake_form(gw, request):
    return _form(gw, request, None)


@ROUTES("POST", "/aanvragen", "send the intake request", kind="form")
def intake_form_post(gw, request):
    return _post(gw, request, None)


@ROUTES("GET", "/opleidingen/<course_id>/aanvragen", "the intake form for a course", kind="page")
def course_intake_form(gw, request, course_id):
    return _form(gw, request, course_id)


@ROUTES("POST", "/opleidingen/<course_id>/aanvragen", "send the intake request", kind="form")
def course_intake_form_post(gw, request, course_id):
    return _post(gw, request, course_id)


@ROUTES("GET", "/aanvraag/<intake_id>", "the person's request: where it stands, who calls and by when, what was "
        "sent, their data and its erasure", kind="page", params=PERSON_TOKEN)
def intake_page(gw, request, intake_id):
    token = request.args.get("token", "")
    status = _theirs(gw.intake.intake_status, intake_id, token)
    if status is None:
        return page("niet_gevonden.html", request, status=404)
    return page("intake/aanvraag.html", request, status_=status, token=token, reference=reference(status["id"]),
                new=request.args.get("nieuw") == "1", again=request.args.get("al") == "1",
                sent=gw.notify.sent_to_person(status["id"]))


@ROUTES("GET", "/aanvraag/<intake_id>/gegevens", "Download everything held about the person (JSON)", kind="page",
        params=PERSON_TOKEN, responses={"200": {"description": "a JSON file"}})
def intake_export_page(gw, request, intake_id):
    data = _theirs(gw.intake.export_intake, intake_id, request.args.get("token", ""))
    if data is None:
        return page("niet_gevonden.html", request, status=404)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="mijn-gegevens-{intake_id}.json"',
                             "Cache-Control": "no-store"})


@ROUTES("GET", "/aanvraag/<intake_id>/gegevens/bekijken", "everything held about the person, as a page in words "
        "(the read is logged, as the download's)", kind="page", params=PERSON_TOKEN)
def intake_data_page(gw, request, intake_id):
    token = request.args.get("token", "")
    data = _theirs(gw.intake.export_intake, intake_id, token)
    if data is None:
        return page("niet_gevonden.html", request, status=404)
    return page("intake/gegevens.html", request, data=data, intake=data["intake"], token=token,
                reference=reference(data["intake"]["id"]))


@ROUTES("GET", "/aanvraag/<intake_id>/wissen", "asks first: what erasing removes, and one button that does it",
        kind="page", params=PERSON_TOKEN)
def intake_erase_question(gw, request, intake_id):
    token = request.args.get("token", "")
    status = _theirs(gw.intake.intake_status, intake_id, token)
    if status is None:
        return page("niet_gevonden.html", request, status=404)
    return page("intake/wissen.html", request, status_=status, token=token, reference=reference(status["id"]))


@ROUTES("POST", "/aanvraag/<intake_id>/wissen", "erase the person's data (token and CSRF in the form)", kind="form")
def intake_erase_page(gw, request, intake_id):
    check_csrf(request)
    try:
        gw.intake.erase_intake(intake_id, request.form.get("token", ""))
    except NotFound:
        return page("niet_gevonden.html", request, status=404)
    return page("intake/gewist.html", request)


def _theirs(call, intake_id: str, token: str):
    """What ``call`` answers of the request for the person's link token, or None (not theirs)."""
    try:
        return call(intake_id, token)
    except NotFound:
        return None


def _form(gw, request, course_id, values=None, errors=(), status=200):
    lang = language(request)
    course = _course(gw, course_id)
    if course_id and course is None:
        return page("niet_gevonden.html", request, status=404)
    values = values or {"situation": request.args.get("situation", ""), "search_id": request.args.get("search_id", "")}
    return page("intake/aanvragen.html", request, status=status, course=course, values=values, errors=list(errors),
                situation_names=situation_names(lang), consent_text=CONSENT_TEXT[lang], consent_version=CONSENT_VERSION)


def _post(gw, request, course_id):
    """The form sent: back to the form (to change it, or with every mistake named), else the check
    of what will be sent ("Controleer je gegevens"), and from there sent for real."""
    check_csrf(request)
    lang = language(request)
    form = request.form
    values = {k: form.get(k, "").strip() for k in ("name", "email", "phone", "postcode", "situation",
                                                   "preferred_contact", "message", "search_id", "website",
                                                   "consent", "share_with_provider")}
    if form.get("stap") == "wijzigen":
        return _form(gw, request, course_id, values=values)
    body = {k: v for k, v in values.items() if v and k not in ("consent", "share_with_provider")}
    body.update(consent=values["consent"] == "ja", language=lang, course_id=course_id,
                share_with_provider=bool(course_id) and values["share_with_provider"] == "ja")
    try:
        new = validated(NewIntake, body)
        if form.get("stap") != "versturen":
            return _check(gw, request, course_id, values)
        answer = gw.intake.submit_intake(new, request.remote_addr, request_id(request))
    except ValidationFailed as exc:
        return _form(gw, request, course_id, values=values, status=400,
                     errors=field_errors(exc.errors, lang, labels(INTAKE_LABELS, lang)))
    except TooManyRequests:
        errors = [{"field": "name", "label": "", "message": _too_many(lang)}]
        return _form(gw, request, course_id, values=values, errors=errors, status=429)
    if answer.get("already_requested"):
        return _already(request, answer, lang)
    if not answer.get("token"):         # the hidden field a bot fills in: answered, nothing kept
        return page("intake/gewist.html", request, bot=True)
    query = urlencode({"token": answer["token"], "nieuw": "1", **({"lang": "en"} if lang == "en" else {})})
    response = redirect(f"/aanvraag/{answer['id']}?{query}")
    # this browser's requests of the last day: sent again from here, it goes to the one it made
    kept = [f"{answer['id']}.{answer['token']}", *_made_here(request)][:MADE_HERE_KEPT]
    response.set_cookie(MADE_HERE, "|".join(kept), max_age=86400, httponly=True, samesite="Strict",
                        secure=secure_cookies(request), path="/")
    return response


def _check(gw, request, course_id, values):
    course = _course(gw, course_id)
    return page("intake/controleren.html", request, course=course, values=values,
                situation_names=situation_names(language(request)))


def _already(request, answer: dict, lang: str):
    """The same person asked the same that day: their request. From the browser that made it
    (its token kept in a cookie), its page; from elsewhere, where its link is."""
    token = dict(entry.split(".", 1) for entry in _made_here(request) if "." in entry).get(answer["id"])
    if token:
        query = urlencode({"token": token, "al": "1", **({"lang": "en"} if lang == "en" else {})})
        return redirect(f"/aanvraag/{answer['id']}?{query}")
    return page("intake/al_aangevraagd.html", request, answer=answer, reference=reference(answer["id"]))


def _made_here(request) -> list[str]:
    return [e for e in request.cookies.get(MADE_HERE, "").split("|") if e]


def _course(gw, course_id):
    if not course_id:
        return None
    try:
        return gw.catalogue.get_course(course_id, None)
    except NotFound:
        return None


def _too_many(lang: str) -> str:
    return ("Je hebt al veel aanvragen gedaan. Probeer het later opnieuw of bel je Leerwerkloket." if lang == "nl"
            else "You have sent many requests already. Try again later or call your Leerwerkloket.")
