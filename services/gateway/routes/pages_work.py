"""The pages of the people who work with the platform: providers (sign in with the API key: their
courses with completeness and status, an import upload whose progress and rejected lines they
watch, their leads) and advisors (sign in with the advisor token: the team's requests, overdue
first; one request; record what happened). Sessions are HTTP-only, SameSite=Strict cookies."""
from __future__ import annotations

from datetime import datetime

import eventlet
from cachetools import LRUCache

from services.chassis import texts
from services.chassis.errors import Conflict, NotFound, ValidationFailed
from services.contracts.rpc import LIST_MAX_PAGE
from services.gateway import import_formats
from services.gateway.http import route
from services.gateway.import_upload import ImportRequest, Upload
from services.gateway.pages import check_csrf, field_errors, language, page, redirect, sign_in, sign_out, signed_in

STEPS = ("call_attempted", "waiting_for_person", "advice_given", "enrolled", "closed")
STEP_NAMES = {"nl": {"call_attempted": "Gebeld, niet bereikt", "waiting_for_person": "Wacht op de persoon",
                     "advice_given": "Advies gegeven", "enrolled": "Ingeschreven", "closed": "Afgesloten"},
              "en": {"call_attempted": "Called, no answer", "waiting_for_person": "Waiting for the person",
                     "advice_given": "Advice given", "enrolled": "Enrolled", "closed": "Closed"}}
ADVISOR_PAGE = 50                               # requests on one page of an advisor's list
REPORTS: LRUCache = LRUCache(maxsize=1000)      # an upload's report (its rejected lines), by import id


class WorkPages:
    # signing in and out, for either role

    @route("POST", "/aanbieders/inloggen")
    def provider_sign_in(self, request):
        return sign_in(request, "provider", "/aanbieders", self.config["ADMIN_TOKEN"], self.call)

    @route("POST", "/adviseurs/inloggen")
    def advisor_sign_in(self, request):
        return sign_in(request, "advisor", "/adviseurs", self.config["ADMIN_TOKEN"], self.call)

    @route("POST", "/uitloggen")
    def sign_out_page(self, request):
        check_csrf(request)
        return sign_out(request, redirect("/"), self.call)

    # providers

    @route("GET", "/aanbieders")
    def provider_home(self, request):
        me = signed_in(request, "provider", self.config["ADMIN_TOKEN"], self.call)
        if me is None or me.role != "provider":
            return page("inloggen.html", request, role="provider")
        return self._provider_page(request, me)

    @route("POST", "/aanbieders/import")
    def provider_upload(self, request):
        # who sends it first, from the session cookie: nobody else's body is read at all
        me = signed_in(request, "provider", self.config["ADMIN_TOKEN"], self.call)
        if me is None or me.role != "provider":
            return redirect("/aanbieders")
        # the file streams to a temporary file (werkzeug spools a large part to disk), the other
        # fields are held to MAX_BODY_BYTES; a larger upload is a 413 page
        request.max_content_length = self.config["MAX_UPLOAD_BYTES"]
        request.max_form_memory_size = self.config["MAX_BODY_BYTES"]
        with self.upload_slot():
            check_csrf(request)
            return self._provider_upload(request, me)

    def _provider_upload(self, request, me):
        fmt, mode = request.form.get("format", ""), request.form.get("mode", "upsert")
        upload_file = request.files.get("file")
        errors = []
        if fmt not in import_formats.READERS:
            errors.append({"field": "format", "label": "", "message": _t(request, "Kies het formaat van het bestand",
                                                                            "Choose the file's format")})
        if upload_file is None or not upload_file.filename:
            errors.append({"field": "file", "label": "", "message": _t(request, "Kies een bestand", "Choose a file")})
        if errors:
            return self._provider_page(request, me, errors, status=400)
        data = upload_file.stream      # on disk when large; the import reads it line by line
        wanted = ImportRequest(fmt, mode if mode in ("upsert", "full-sync") else "upsert",
                               import_formats.line_encoding(fmt, None), {})
        import_id = self.call("catalogue", "start_import", me.id, wanted.fmt, wanted.mode)
        upload = Upload(self, me.id, import_id, self.config["IMPORT_HEARTBEAT_SECONDS"])

        def run():      # the page shows its progress meanwhile; its report (rejected lines) when done
            try:
                REPORTS[import_id] = upload.run(data, wanted)
            except Exception as exc:        # the catalogue records the failure; the page says so
                REPORTS[import_id] = {"failure": str(exc)}
        eventlet.spawn(run)
        return redirect(f"/aanbieders/import/{import_id}")

    @route("GET", "/aanbieders/import/<import_id>")
    def provider_import_page(self, request, import_id):
        me = signed_in(request, "provider", self.config["ADMIN_TOKEN"], self.call)
        if me is None or me.role != "provider":
            return redirect("/aanbieders")
        try:
            state = self.call("catalogue", "list_imports", me.id, import_id)[0]
        except (NotFound, ValidationFailed):
            return page("niet_gevonden.html", request, status=404)
        report = REPORTS.get(import_id)
        running = state["status"] == "running" or (report is None and state["status"] != "failed")
        return page("import.html", request, state=state, report=report or {}, running=running)

    # advisors

    @route("GET", "/adviseurs")
    def advisor_home(self, request):
        me = signed_in(request, "advisor", self.config["ADMIN_TOKEN"], self.call)
        if me is None:
            return page("inloggen.html", request, role="advisor")
        # overdue first, then open by deadline, then the rest (intake's order), ADVISOR_PAGE at a time
        number = request.args.get("pagina", "1")
        number = int(number) if number.isascii() and number.isdigit() and 0 < int(number) <= LIST_MAX_PAGE else 1
        listed = self.call("intake", "list_intakes", me.as_dict(), None, False, number, ADVISOR_PAGE)
        last = max(1, -(-listed["total"] // ADVISOR_PAGE))
        pages = [(n, f"/adviseurs?pagina={n}") for n in sorted({1, number - 1, number, number + 1, last}) if 1 <= n <= last]
        lang = language(request)
        return page("adviseurs.html", request, me=me, intakes=listed["items"], total=listed["total"], pages=pages,
                    number=number, when=lambda at: at and texts.deadline_text(datetime.fromisoformat(at), lang))

    @route("GET", "/adviseurs/intakes/<intake_id>")
    def advisor_intake_page(self, request, intake_id):
        return self._advisor_intake(request, intake_id)

    @route("POST", "/adviseurs/intakes/<intake_id>")
    def advisor_step_post(self, request, intake_id):
        check_csrf(request)
        me = signed_in(request, "advisor", self.config["ADMIN_TOKEN"], self.call)
        if me is None:
            return redirect("/adviseurs")
        lang = language(request)
        step = {"type": request.form.get("type", ""), "note": request.form.get("note") or None}
        if request.form.get("until"):
            step["until"] = _amsterdam(request.form["until"])
        try:
            self.call("intake", "record_step", me.as_dict(), intake_id, step)
        except ValidationFailed as exc:
            return self._advisor_intake(request, intake_id, field_errors(
                exc.errors, lang, {"type": _t(request, "Wat er gebeurde", "What happened"),
                                   "until": _t(request, "Tot wanneer", "Until when"), "note": _t(request, "Notitie", "Note")}),
                status=400)
        except Conflict as exc:
            return self._advisor_intake(request, intake_id, [{"field": "type", "label": "", "message": _t(
                request, f"Deze stap kan nu niet: {exc.detail}", f"This step is not possible now: {exc.detail}")}], status=409)
        return redirect(f"/adviseurs/intakes/{intake_id}?vastgelegd=1")

    # helpers

    def _provider_page(self, request, me, errors=(), status=200):
        courses = self.call("catalogue", "list_provider_courses", me.id, 1, 100)
        leads = self.call("intake", "provider_leads", me.id, 1, 20)
        imports = self.call("catalogue", "list_imports", me.id)
        return page("aanbieders.html", request, status=status, me=me, courses=courses, leads=leads,
                    imports=imports[:5], errors=list(errors),
                    when=lambda at: at and texts.deadline_text(datetime.fromisoformat(at), language(request)))

    def _advisor_intake(self, request, intake_id, errors=(), status=200):
        me = signed_in(request, "advisor", self.config["ADMIN_TOKEN"], self.call)
        if me is None:
            return redirect("/adviseurs")
        try:
            intake = self.call("intake", "read_intake", me.as_dict(), intake_id)
        except (NotFound, ValidationFailed):
            return page("niet_gevonden.html", request, status=404)
        lang = language(request)
        return page("adviseurs_intake.html", request, status=status, me=me, intake=intake, errors=list(errors),
                    steps=[(s, STEP_NAMES[lang][s]) for s in STEPS], saved=request.args.get("vastgelegd") == "1",
                    when=lambda at: at and texts.deadline_text(datetime.fromisoformat(at), lang))


def _amsterdam(moment: str) -> str:
    """A form's date and time (no zone: the person means Dutch time) as the API reads it."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment       # the service names the field
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=texts.AMSTERDAM)).isoformat()


def _t(request, nl: str, en: str) -> str:
    return nl if language(request) == "nl" else en
