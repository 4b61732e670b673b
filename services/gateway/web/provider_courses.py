"""A provider's course on the pages (signed in with the API key): change its title, description,
entry requirements and start moments, with the API's validation and the same protection against
overwriting a newer version (the version the form was made from must still be the course's, as
``If-Match``); withdraw it after a question that names it; publish it again. Answered by the
catalogue service."""
from __future__ import annotations

from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.chassis.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from services.contracts.courses import PLATFORM_SET_FIELDS
from services.gateway.routing import Routes
from services.gateway.web.providers import found_or_none, owned
from services.gateway.web.render import check_csrf, language, page, redirect, translate
from services.gateway.web.words import problem_text

ROUTES = Routes()
# a start moment's fields on the form, as the form names them (``o-2-start_date``); the place's own
OFFERING_FIELDS = ("external_id", "start_date", "end_date", "mode", "price_eur", "seats_available", "status",
                   "schedule")
PLACE_FIELDS = ("street", "postcode", "city")
COURSE_FIELDS = ("title", "description", "entry_requirements")


@ROUTES("GET", "/aanbieders/opleidingen/<course_id>", "change a course: title, description, entry requirements, start "
        "moments", kind="page")
def course_form(gw, request, course_id):
    found = owned(gw, request, lambda me: _own(gw, me, course_id))
    if isinstance(found, Response):
        return found
    course = found[1]
    return _form(request, course, _values(course), saved=request.args.get("opgeslagen") == "1")


@ROUTES("POST", "/aanbieders/opleidingen/<course_id>", "save the changed course (the version it was read at must "
        "still be the course's)", kind="form")
def course_form_post(gw, request, course_id):
    check_csrf(request)
    found = owned(gw, request, lambda me: _own(gw, me, course_id))
    if isinstance(found, Response):
        return found
    me, course = found
    t, lang = translate(request), language(request)
    values = _read(request.form)
    changed = {k: v for k, v in course.items() if k not in PLATFORM_SET_FIELDS}
    changed.update({k: values[k] for k in COURSE_FIELDS})
    changed["offerings"] = [_offering(row) for row in values["offerings"] if not row.get("remove") and _filled(row)]
    try:
        gw.catalogue.update_course(me.id, course_id, int(request.form.get("version", "0") or 0), changed, me.actor)
    except NotFound:
        return page("niet_gevonden.html", request, status=404)
    except ValidationFailed as exc:
        kept = [row for row in values["offerings"] if not row.get("remove") and _filled(row)]
        errors = [_error(e, lang) for e in exc.errors]
        return _form(request, course, {**values, "offerings": kept + [{}]}, errors=errors, status=400)
    except PreconditionFailed:
        fresh = _own(gw, me, course_id)
        return _form(request, fresh, _values(fresh), status=409, errors=[{"field": "title", "label": "", "message": t(
            "Deze opleiding is intussen gewijzigd (door een import of iemand anders). Hieronder staat de nieuwe "
            "versie: voer je wijziging opnieuw in", "This course was changed meanwhile (by an import or someone else). "
            "The new version is below: make your change again")}])
    return redirect(f"/aanbieders/opleidingen/{course_id}?opgeslagen=1" + ("&lang=en" if lang == "en" else ""))


@ROUTES("GET", "/aanbieders/opleidingen/<course_id>/terugtrekken", "asks first: withdraw this course (named)?",
        kind="page")
def withdraw_question(gw, request, course_id):
    found = owned(gw, request, lambda me: _own(gw, me, course_id))
    if isinstance(found, Response):
        return found
    return page("providers/terugtrekken.html", request, course=found[1])


@ROUTES("POST", "/aanbieders/opleidingen/<course_id>/terugtrekken", "withdraw the course", kind="form")
def withdraw_post(gw, request, course_id):
    return _act(gw, request, course_id, "withdraw_course", "teruggetrokken")


@ROUTES("POST", "/aanbieders/opleidingen/<course_id>/publiceren", "publish the course (again)", kind="form")
def publish_post(gw, request, course_id):
    return _act(gw, request, course_id, "publish_course", "gepubliceerd")


def _act(gw, request, course_id, method: str, done: str):
    check_csrf(request)
    found = owned(gw, request, lambda me: _own(gw, me, course_id))
    if isinstance(found, Response):
        return found
    me, course = found
    try:
        course = getattr(gw.catalogue, method)(me.id, course_id, me.actor)
    except Conflict:            # already so (a second click)
        pass
    lang = language(request)
    return redirect("/aanbieders?" + urlencode({"klaar": done, "opleiding": course["title"],
                                                **({"lang": "en"} if lang == "en" else {})}))


def _own(gw, me, course_id) -> dict | None:
    """The provider's own course (a published course of another is public, but not theirs to change)."""
    course = found_or_none(lambda: gw.catalogue.get_course(course_id, me.id))
    return course if course is not None and course["provider"]["id"] == me.id else None


def _form(request, course, values, errors=(), status=200, saved=False):
    return page("providers/opleiding.html", request, status=status, course=course, values=values,
                errors=list(errors), saved=saved)


def _values(course: dict) -> dict:
    """The form's values of a course: its fields and a row per start moment, and one empty."""
    rows = [{**{k: o.get(k) for k in OFFERING_FIELDS}, **(o.get("location") or {})} for o in course["offerings"]]
    return {**{k: course.get(k) or "" for k in COURSE_FIELDS}, "offerings": rows + [{}]}


def _read(form) -> dict:
    rows, i = [], 0
    while f"o-{i}-external_id" in form:
        rows.append({k: form.get(f"o-{i}-{k}", "").strip() for k in (*OFFERING_FIELDS, *PLACE_FIELDS, "remove")})
        i += 1
    return {**{k: form.get(k, "").strip() for k in COURSE_FIELDS}, "offerings": rows}


def _filled(row: dict) -> bool:
    return any(row.get(k) for k in (*OFFERING_FIELDS, *PLACE_FIELDS) if k != "status")


def _offering(row: dict) -> dict:
    offering = {k: row[k] for k in OFFERING_FIELDS if row.get(k)}
    place = {k: row[k] for k in PLACE_FIELDS if row.get(k)}
    if place:
        offering["location"] = place
    if "price_eur" in offering:
        offering["price_eur"] = offering["price_eur"].replace(".", "").replace(",", ".") \
            if "," in offering["price_eur"] else offering["price_eur"]
    return offering


def _error(error: dict, lang: str) -> dict:
    """A field error of the course as the form names its field (``o-1-start_date``), in words."""
    parts = error.get("field", "").split(".")
    if parts[0] == "offerings" and len(parts) > 1 and parts[1].isdigit():
        inner = parts[-1] if len(parts) > 2 else "external_id"
        field = f"o-{parts[1]}-{inner if inner in (*OFFERING_FIELDS, *PLACE_FIELDS) else 'city'}"
        number = int(parts[1]) + 1
        label = (f"Startmoment {number}" if lang == "nl" else f"Start moment {number}")
    else:
        field = parts[0] if parts[0] in COURSE_FIELDS else "title"
        label = {"title": ("Naam", "Name"), "description": ("Omschrijving", "Description"),
                 "entry_requirements": ("Toelating", "Entry requirements")}[field][0 if lang == "nl" else 1]
    text = problem_text(error["message"], lang)
    return {"field": field, "label": label, "message": f"{label}: {text}", "summary": f"{label}: {text}"}
