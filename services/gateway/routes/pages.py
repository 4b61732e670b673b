"""The public pages: home (the five situations), search results, a course, the intake form and
its confirmation, the person's own request (status, export, erasure), the accessibility
statement, and the style sheet and script they load. Each calls the services over RPC as the
API routes do, and works fully without JavaScript."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import get_args
from urllib.parse import urlencode

from babel import Locale
from werkzeug.wrappers import Response

from services.chassis import texts
from services.chassis.errors import NotFound, TooManyRequests, ValidationFailed
from services.contracts.courses import Level, Mode, Province, Sector, Situation, net_price_from
from services.contracts.intake import CONSENT_TEXT, CONSENT_VERSION
from services.gateway.http import request_id, route
from services.gateway.pages import check_csrf, field_errors, language, page, redirect
from services.gateway.routes.catalogue import record_view
from services.gateway.routes.search import REPEATABLE_SEARCH_PARAMS

STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES = {"site.css": "text/css", "site.js": "text/javascript"}
SITUATIONS = {
    "eigen-werk": (("Ik wil mij ontwikkelen binnen mijn eigen werk", "Opleidingen die je verder helpen in je vak, en wat je werkgever of fonds betaalt."),
                   ("I want to grow in my own job", "Courses that take you further in your trade, and what your employer or fund pays.")),
    "andere-sector": (("Ik wil ander werk, in een andere sector", "Omscholen naar werk met toekomst, met de regelingen die daarbij helpen."),
                      ("I want other work, in another sector", "Retraining for work with a future, with the schemes that help.")),
    "werkgever": (("Ik wil mijn medewerkers graag opleiden", "Scholing voor je team en de fondsen die eraan bijdragen."),
                  ("I want to train my employees", "Training for your team and the funds that contribute.")),
    "werkzoekend": (("Ik zoek werk", "Korte opleidingen die je snel aan het werk helpen, vaak met steun."),
                    ("I am looking for work", "Short courses that get you working soon, often with support.")),
    "zelfstandige": (("Ik werk als zelfstandige", "Bijscholing voor zzp'ers en wat je daarvoor kunt krijgen."),
                     ("I am self-employed", "Further training for the self-employed and what support you can get.")),
}
# the steps and statuses of a request as the person reads them
PERSON_WORDS = {
    "nl": {"submitted": "Aanvraag ontvangen", "call_attempted": "We hebben je gebeld", "waiting_for_person":
           "We wachten op jou", "advice_given": "Advies gegeven", "enrolled": "Ingeschreven", "closed": "Afgesloten",
           "erased": "Gegevens gewist", "new": "nieuw", "in_progress": "in behandeling", "advised": "advies gegeven"},
    "en": {"submitted": "Request received", "call_attempted": "We called you", "waiting_for_person": "Waiting for you",
           "advice_given": "Advice given", "enrolled": "Enrolled", "closed": "Closed", "erased": "Data erased",
           "new": "new", "in_progress": "in progress", "advised": "advised"},
}
# the search fields' labels, once: the form shows them and an error names its field by them
SEARCH_LABELS = {"q": ("Zoekwoorden", "Search words"), "near": ("Plaats of postcode", "Place or postcode"),
                 "radius_km": ("Binnen hoeveel kilometer", "Within how many kilometres"),
                 "start_from": ("Start vanaf", "Starting from"),
                 "start_to": ("Start uiterlijk", "Starting by"), "max_price": ("Hoogste prijs in euro", "Highest price in euros"),
                 "level": ("Niveau", "Level"), "sector": ("Sector", "Sector"), "mode": ("Vorm", "Mode"),
                 "province": ("Provincie", "Province"), "funding": ("Regeling (code)", "Funding scheme (code)"),
                 "sort": ("Sorteren op", "Sort by"), "situation": ("Jouw situatie", "Your situation"),
                 "page": ("Pagina", "Page"), "language": ("Taal van de les", "Language taught in")}
INTAKE_LABELS = {"name": ("Naam", "Name"), "email": ("E-mailadres", "Email address"), "phone": ("Telefoonnummer", "Phone number"),
                 "postcode": ("Postcode", "Postcode"), "situation": ("Je situatie", "Your situation"),
                 "preferred_contact": ("Hoe willen we je bereiken", "How shall we contact you"),
                 "message": ("Je vraag", "Your question"), "consent": ("Toestemming", "Consent"),
                 "course_id": ("Opleiding", "Course"), "body": ("Aanvraag", "Request")}


def _labels(table: dict, lang: str) -> dict:
    return {k: v[0 if lang == "nl" else 1] for k, v in table.items()}


class PublicPages:
    @route("GET", "/")
    def home_page(self, request):
        lang = language(request)
        situations = [(code, *texts_[0 if lang == "nl" else 1]) for code, texts_ in SITUATIONS.items()]
        return page("home.html", request, situations=situations)

    @route("GET", "/static/<name>")
    def static_file(self, request, name):
        if name not in STATIC_FILES:
            return Response("not found", status=404, mimetype="text/plain")
        return Response((STATIC / name).read_bytes(), mimetype=STATIC_FILES[name],
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    @route("GET", "/zoeken")
    def search_page(self, request):
        lang = language(request)
        params = {k: (request.args.getlist(k) if k in REPEATABLE_SEARCH_PARAMS else request.args.get(k))
                  for k in request.args.keys() if k not in ("lang",)}
        params = {k: v for k, v in params.items() if v not in ("", [], None)}
        answer, errors = None, []
        try:
            answer = self.call("search", "search", params, self.searcher(request))
        except ValidationFailed as exc:
            errors = field_errors(exc.errors, lang, _labels(SEARCH_LABELS, lang))
        options = {"level": get_args(Level), "sector": get_args(Sector), "mode": get_args(Mode),
                   "province": get_args(Province), "situation": get_args(Situation),
                   # the languages courses are taught in (the facet's), by their name in the page's language
                   "language": [(code, Locale(lang).languages.get(code, code)) for code in sorted(
                       set(((answer or {}).get("facets") or {}).get("language") or {}) | set(params.get("language") or []))]}
        pages = []
        if answer:
            last = max(1, -(-answer["total"] // answer["page_size"]))
            for number in sorted({1, answer["page"] - 1, answer["page"], answer["page"] + 1, last}):
                if 1 <= number <= last:
                    pages.append((number, "/zoeken?" + urlencode([(k, v) for k, vs in {**params, "page": number}.items()
                                                                  for v in (vs if isinstance(vs, list) else [vs])])))
        return page("zoeken.html", request, status=400 if errors else 200, params=params, answer=answer,
                    errors=errors, options=options, pages=pages, situation_names=_situation_names(lang),
                    label=_labels(SEARCH_LABELS, lang))

    @route("GET", "/opleidingen/<course_id>")
    def course_page(self, request, course_id):
        try:
            course = self.call("catalogue", "get_course", course_id, None)
        except NotFound:
            return page("niet_gevonden.html", request, status=404)
        if course["status"] != "published":
            return page("niet_gevonden.html", request, status=404)
        record_view(self, course, request.args.get("search_id") or None, strict=False)
        today = datetime.now(timezone.utc).date()
        schemes = [s for s in self.call("catalogue", "list_funding_schemes") if s["code"] in course["funding_schemes"]
                   and date.fromisoformat(s["valid_from"]) <= today]
        amounts = [(s["code"], s.get("max_amount_eur")) for s in schemes]
        offerings = [{**o, "remaining": (net_price_from([Decimal(str(o["price_eur"]))], amounts) or {}).get("price_eur")}
                     for o in course["offerings"] if o["status"] in ("open", "full")]
        return page("opleiding.html", request, course=course, offerings=offerings, schemes=schemes,
                    search_id=request.args.get("search_id", ""), day=lambda d: texts.day_text(date.fromisoformat(d), language(request)))

    @route("GET", "/aanvragen")
    def intake_form(self, request):
        return self._intake_form(request, None)

    @route("GET", "/opleidingen/<course_id>/aanvragen")
    def course_intake_form(self, request, course_id):
        return self._intake_form(request, course_id)

    @route("POST", "/aanvragen")
    def intake_form_post(self, request):
        return self._intake_post(request, None)

    @route("POST", "/opleidingen/<course_id>/aanvragen")
    def course_intake_form_post(self, request, course_id):
        return self._intake_post(request, course_id)

    @route("GET", "/aanvraag/<intake_id>")
    def intake_page(self, request, intake_id):
        token = request.args.get("token", "")
        try:
            status = self.call("intake", "intake_status", intake_id, token)
        except NotFound:
            return page("niet_gevonden.html", request, status=404)
        lang = language(request)
        due = texts.deadline_text(datetime.fromisoformat(status["callback_due_by"]), lang)
        return page("aanvraag.html", request, status_=status, token=token, due=due, new=request.args.get("nieuw") == "1",
                    moment=lambda at: texts.deadline_text(datetime.fromisoformat(at), lang),
                    words=PERSON_WORDS[lang])

    @route("GET", "/aanvraag/<intake_id>/gegevens")
    def intake_export_page(self, request, intake_id):
        try:
            data = self.call("intake", "export_intake", intake_id, request.args.get("token", ""))
        except NotFound:
            return page("niet_gevonden.html", request, status=404)
        return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="mijn-gegevens-{intake_id}.json"',
                                 "Cache-Control": "no-store"})

    @route("POST", "/aanvraag/<intake_id>/wissen")
    def intake_erase_page(self, request, intake_id):
        check_csrf(request)
        try:
            self.call("intake", "erase_intake", intake_id, request.form.get("token", ""))
        except NotFound:
            return page("niet_gevonden.html", request, status=404)
        return page("gewist.html", request)

    @route("GET", "/toegankelijkheid")
    def accessibility_page(self, request):
        return page("toegankelijkheid.html", request)

    # helpers

    def _intake_form(self, request, course_id, values=None, errors=(), status=200):
        lang = language(request)
        course = None
        if course_id:
            try:
                course = self.call("catalogue", "get_course", course_id, None)
            except NotFound:
                return page("niet_gevonden.html", request, status=404)
        values = values or {"situation": request.args.get("situation", ""), "search_id": request.args.get("search_id", "")}
        return page("aanvragen.html", request, status=status, course=course, values=values, errors=list(errors),
                    situation_names=_situation_names(lang), consent_text=CONSENT_TEXT[lang], consent_version=CONSENT_VERSION)

    def _intake_post(self, request, course_id):
        check_csrf(request)
        lang = language(request)
        form = request.form
        values = {k: form.get(k, "").strip() for k in ("name", "email", "phone", "postcode", "situation",
                                                       "preferred_contact", "message", "search_id", "website")}
        body = {k: (v or None) for k, v in values.items()}
        body.update(consent=form.get("consent") == "ja", language=lang, course_id=course_id,
                    share_with_provider=bool(course_id) and form.get("share_with_provider") == "ja")
        if body["website"] is None:
            body.pop("website")
        try:
            answer = self.call("intake", "submit_intake", body, request.remote_addr, request_id(request))
        except ValidationFailed as exc:
            errors = field_errors(exc.errors, lang, _labels(INTAKE_LABELS, lang))
            if not body["consent"] and not any(e["field"] == "consent" for e in errors):
                errors.append({"field": "consent", "label": INTAKE_LABELS["consent"][0 if lang == "nl" else 1],
                               "message": "Geef toestemming om je te bellen" if lang == "nl" else "Agree to be called"})
            return self._intake_form(request, course_id, values={**values, "consent": form.get("consent"),
                                                                 "share_with_provider": form.get("share_with_provider")},
                                     errors=errors, status=400)
        except TooManyRequests:
            errors = [{"field": "name", "label": "", "message": t_many(lang)}]
            return self._intake_form(request, course_id, values=values, errors=errors, status=429)
        if not answer.get("token"):         # the hidden field a bot fills in: answered, nothing kept
            return page("gewist.html", request, bot=True)
        query = urlencode({"token": answer["token"], "nieuw": "1", **({"lang": "en"} if lang == "en" else {})})
        return redirect(f"/aanvraag/{answer['id']}?{query}")


def t_many(lang: str) -> str:
    return ("Je hebt al veel aanvragen gedaan. Probeer het later opnieuw of bel je Leerwerkloket." if lang == "nl"
            else "You have sent many requests already. Try again later or call your Leerwerkloket.")


def _situation_names(lang: str) -> dict:
    return {code: texts_[0 if lang == "nl" else 1][0] for code, texts_ in SITUATIONS.items()}
