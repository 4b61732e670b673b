"""The intake form (with or without a course) and its confirmation, and the person's own request
with its token: status, team, deadline and history, the download of everything held, erasure.
Answered by the intake service."""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.chassis import texts
from services.chassis.errors import NotFound, TooManyRequests, ValidationFailed, validated
from services.contracts.intake import CONSENT_TEXT, CONSENT_VERSION, NewIntake
from services.gateway.http import request_id
from services.gateway.routing import PERSON_TOKEN, Routes
from services.gateway.web.render import check_csrf, field_errors, language, page, redirect
from services.gateway.web.words import INTAKE_LABELS, labels, situation_names

ROUTES = Routes()


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


@ROUTES("GET", "/aanvraag/<intake_id>", "the person's request: team, deadline, history, export and erasure",
        kind="page", params=PERSON_TOKEN)
def intake_page(gw, request, intake_id):
    token = request.args.get("token", "")
    try:
        status = gw.intake.intake_status(intake_id, token)
    except NotFound:
        return page("niet_gevonden.html", request, status=404)
    lang = language(request)
    due = texts.deadline_text(datetime.fromisoformat(status["callback_due_by"]), lang)
    return page("intake/aanvraag.html", request, status_=status, token=token, due=due,
                new=request.args.get("nieuw") == "1")


@ROUTES("GET", "/aanvraag/<intake_id>/gegevens", "Download everything held about the person (JSON)", kind="page",
        params=PERSON_TOKEN, responses={"200": {"description": "a JSON file"}})
def intake_export_page(gw, request, intake_id):
    try:
        data = gw.intake.export_intake(intake_id, request.args.get("token", ""))
    except NotFound:
        return page("niet_gevonden.html", request, status=404)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="mijn-gegevens-{intake_id}.json"',
                             "Cache-Control": "no-store"})


@ROUTES("POST", "/aanvraag/<intake_id>/wissen", "erase the person's data (token and CSRF in the form)", kind="form")
def intake_erase_page(gw, request, intake_id):
    check_csrf(request)
    try:
        gw.intake.erase_intake(intake_id, request.form.get("token", ""))
    except NotFound:
        return page("niet_gevonden.html", request, status=404)
    return page("intake/gewist.html", request)


def _form(gw, request, course_id, values=None, errors=(), status=200):
    lang = language(request)
    course = None
    if course_id:
        try:
            course = gw.catalogue.get_course(course_id, None)
        except NotFound:
            return page("niet_gevonden.html", request, status=404)
    values = values or {"situation": request.args.get("situation", ""), "search_id": request.args.get("search_id", "")}
    return page("intake/aanvragen.html", request, status=status, course=course, values=values, errors=list(errors),
                situation_names=situation_names(lang), consent_text=CONSENT_TEXT[lang], consent_version=CONSENT_VERSION)


def _post(gw, request, course_id):
    check_csrf(request)
    lang = language(request)
    form = request.form
    values = {k: form.get(k, "").strip() for k in ("name", "email", "phone", "postcode", "situation",
                                                   "preferred_contact", "message", "search_id", "website")}
    body = {k: v for k, v in values.items() if v}      # an empty field is a missing one
    body.update(consent=form.get("consent") == "ja", language=lang, course_id=course_id,
                share_with_provider=bool(course_id) and form.get("share_with_provider") == "ja")
    try:
        answer = gw.intake.submit_intake(validated(NewIntake, body), request.remote_addr, request_id(request))
    except ValidationFailed as exc:
        errors = field_errors(exc.errors, lang, labels(INTAKE_LABELS, lang))
        return _form(gw, request, course_id, values={**values, "consent": form.get("consent"),
                                                      "share_with_provider": form.get("share_with_provider")},
                     errors=errors, status=400)
    except TooManyRequests:
        errors = [{"field": "name", "label": "", "message": _too_many(lang)}]
        return _form(gw, request, course_id, values=values, errors=errors, status=429)
    if not answer.get("token"):         # the hidden field a bot fills in: answered, nothing kept
        return page("intake/gewist.html", request, bot=True)
    query = urlencode({"token": answer["token"], "nieuw": "1", **({"lang": "en"} if lang == "en" else {})})
    return redirect(f"/aanvraag/{answer['id']}?{query}")


def _too_many(lang: str) -> str:
    return ("Je hebt al veel aanvragen gedaan. Probeer het later opnieuw of bel je Leerwerkloket." if lang == "nl"
            else "You have sent many requests already. Try again later or call your Leerwerkloket.")
