"""The providers' pages (signed in with the API key): their courses with completeness and status,
an import upload whose progress and rejected lines they watch, and their leads. Answered by the
catalogue and intake services."""
from __future__ import annotations

import logging

import eventlet
from werkzeug.wrappers import Response

from services.chassis.csvfile import csv_text
from services.chassis.errors import NotFound, ValidationFailed
from services.gateway import import_formats
from services.gateway.import_upload import ImportRequest, Upload
from services.gateway.routing import Routes
from services.gateway.web.render import check_csrf, language, page, redirect, translate
from services.gateway.web.words import problem_text
from services.gateway.web.sessions import sign_in, sign_in_page, signed_in

log = logging.getLogger(__name__)
ROUTES = Routes()


@ROUTES("GET", "/aanbieders", "a provider's courses with completeness, imports and leads (a sign-in form without a "
        "session)", kind="page")
def provider_home(gw, request):
    me = provider_of(gw, request)
    if me is None:
        return sign_in_page(gw, request, "provider")
    return _home(gw, request, me)


@ROUTES("POST", "/aanbieders/inloggen", "sign in with the provider's API key", kind="form")
def provider_sign_in(gw, request):
    return sign_in(request, "provider", "/aanbieders", gw.config["ADMIN_TOKEN"], gw)


@ROUTES("POST", "/aanbieders/import", "upload an import file (multipart); on to its progress", kind="form")
def provider_upload(gw, request):
    # who sends it first, from the session cookie: nobody else's body is read at all
    me = provider_of(gw, request)
    if me is None:
        return redirect("/aanbieders")
    # the file streams to a temporary file (werkzeug spools a large part to disk), the other
    # fields are held to MAX_BODY_BYTES; a larger upload is a 413 page
    request.max_content_length = gw.config["MAX_UPLOAD_BYTES"]
    request.max_form_memory_size = gw.config["MAX_BODY_BYTES"]
    with gw.upload_slot():
        check_csrf(request)
        return _upload(gw, request, me)


@ROUTES("GET", "/aanbieders/import/<import_id>", "an import's progress and rejected lines, in words naming the "
        "column or field", kind="page")
def provider_import_page(gw, request, import_id):
    found = owned(gw, request, lambda me: _import(gw, me, import_id))
    if isinstance(found, Response):
        return found
    _, state = found
    return page("providers/import.html", request, state=state, running=state["status"] == "running",
                rejected=_rejections(state, language(request)))


@ROUTES("GET", "/aanbieders/import/<import_id>/afgekeurd.csv", "an import's rejected lines as a CSV file",
        kind="document", responses={"200": {"description": "a CSV file"}})
def provider_rejections_csv(gw, request, import_id):
    found = owned(gw, request, lambda me: _import(gw, me, import_id))
    if isinstance(found, Response):
        return found
    _, state = found
    nl = language(request) == "nl"
    rows = [["regel" if nl else "line", "eigen_id" if nl else "own_id", "kolom" if nl else "column",
             "wat_er_niet_klopt" if nl else "what_is_wrong"]]
    rows += [[r["line"], r["external_id"] or "", column, text] for r in _rejections(state, language(request))
             for column, text in r["problems"]]
    return Response(csv_text(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="afgekeurd-{import_id}.csv"', "Cache-Control": "no-store"})


@ROUTES("GET", "/aanbieders/sjabloon.csv", "a CSV file to fill in: every column and an example row", kind="document",
        responses={"200": {"description": "a CSV file"}})
def provider_csv_template(gw, request):
    return Response(import_formats.csv_template(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="opleidingen-sjabloon.csv"'})


@ROUTES("GET", "/aanbieders/leads/<intake_id>", "a lead's name and phone or e-mail (the read is logged and shown to "
        "the person)", kind="page")
def provider_lead_page(gw, request, intake_id):
    found = owned(gw, request, lambda me: found_or_none(lambda: gw.intake.provider_lead(me.as_dict(), intake_id)))
    if isinstance(found, Response):
        return found
    return page("providers/lead.html", request, lead=found[1])


def provider_of(gw, request):
    me = signed_in(request, "provider", gw.config["ADMIN_TOKEN"], gw)
    return me if me is not None and me.role == "provider" else None


def owned(gw, request, fetch):
    """``(me, it)``: the signed-in provider and what ``fetch(me)`` finds of theirs. Else the
    answer to give instead (a Response): to the sign-in without a session, a 404 page when
    ``fetch`` finds nothing of theirs (None)."""
    me = provider_of(gw, request)
    if me is None:
        return redirect("/aanbieders")
    found = fetch(me)
    return (me, found) if found is not None else page("niet_gevonden.html", request, status=404)


def found_or_none(call):
    """``call()``, or None for something that is not there (or not the caller's)."""
    try:
        return call()
    except (NotFound, ValidationFailed):
        return None


def _upload(gw, request, me):
    t = translate(request)
    fmt, mode = request.form.get("format", ""), request.form.get("mode", "upsert")
    upload_file = request.files.get("file")
    errors = []
    if fmt not in import_formats.READERS:
        errors.append({"field": "format", "label": "", "message": t("Kies het formaat van het bestand",
                                                                    "Choose the file's format")})
    if upload_file is None or not upload_file.filename:
        errors.append({"field": "file", "label": "", "message": t("Kies een bestand", "Choose a file")})
    if errors:
        return _home(gw, request, me, errors, status=400)
    data = upload_file.stream      # on disk when large; the import reads it line by line
    looks = import_formats.looks_like(data.read(8192))
    data.seek(0)
    if looks is not None and looks != fmt:          # the wrong format chosen: say which it looks like
        named = {"csv": "CSV", "ndjson": "NDJSON", "ooapi": "OOAPI"}
        return _home(gw, request, me, [{"field": "format", "label": "", "message": t(
            f"Dit lijkt een {named[looks]}-bestand: kies {named[looks]} als formaat",
            f"This looks like a {named[looks]} file: choose {named[looks]} as the format")}], status=400)
    wanted = ImportRequest(fmt, mode if mode in ("upsert", "full-sync") else "upsert",
                           import_formats.line_encoding(fmt, None), {})
    import_id = gw.catalogue.start_import(me.id, wanted.fmt, wanted.mode, me.actor)
    upload = Upload(gw.catalogue, me.id, import_id, gw.config["IMPORT_HEARTBEAT_SECONDS"])

    def run():      # the page shows its progress meanwhile, read from the catalogue's record of it
        try:
            upload.run(data, wanted)
        except Exception:               # the catalogue records the failure; the page says so
            log.exception("import %s failed", import_id)
    eventlet.spawn(run)
    return redirect(f"/aanbieders/import/{import_id}")


def _import(gw, me, import_id) -> dict | None:
    """An import of the provider's as the catalogue records it, with its rejected lines (None:
    not theirs, or none). Any gateway shows it: none keeps an import in its memory."""
    return found_or_none(lambda: gw.catalogue.list_imports(me.id, import_id)[0])


def _rejections(state: dict, lang: str) -> list[dict]:
    """Each rejected line with its problems as ``(column or field, what is wrong)`` in words."""
    rejected = state.get("rejected_items") or []
    return [{"line": r["line"], "external_id": r.get("external_id"),
             "problems": [(import_formats.column_of(state["format"], e.get("field", "")), problem_text(e["message"], lang))
                          for e in r["errors"]]} for r in rejected]


def _home(gw, request, me, errors=(), status=200):
    courses = gw.catalogue.list_provider_courses(me.id, 1, 100)
    leads = gw.intake.provider_leads(me.id, 1, 20)
    imports = gw.catalogue.list_imports(me.id)
    return page("providers/aanbieders.html", request, status=status, me=me, courses=courses, leads=leads,
                key=gw.catalogue.api_key_of(me.id),
                imports=imports[:5], errors=list(errors), columns=import_formats.CSV_HELP,
                done=request.args.get("klaar") if request.args.get("klaar") in ("teruggetrokken", "gepubliceerd") else None,
                done_course=request.args.get("opleiding", ""))
