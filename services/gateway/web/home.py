"""The home page (the five situations and a search box), the accessibility statement, and the
style sheet and script every page loads."""
from __future__ import annotations

import tomllib
from pathlib import Path

from werkzeug.wrappers import Response

from services.gateway.routing import Routes
from services.gateway.web.render import language, page
from services.gateway.web.words import SITUATIONS

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"site.css": "text/css", "site.js": "text/javascript"}

ROUTES = Routes()


@ROUTES("GET", "/", "home: the five situations and a search box", kind="page")
def home_page(gw, request):
    lang = language(request)
    situations = [(code, *texts_[0 if lang == "nl" else 1]) for code, texts_ in SITUATIONS.items()]
    return page("home/home.html", request, situations=situations)


@ROUTES("GET", "/static/<name>", "The pages' style sheet and script", kind="page",
        responses={"200": {"description": "site.css or site.js"}, "404": {"description": "no such file"}})
def static_file(gw, request, name):
    if name not in STATIC_FILES:
        return Response("not found", status=404, mimetype="text/plain")
    return Response((STATIC / name).read_bytes(), mimetype=STATIC_FILES[name],
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@ROUTES("GET", "/toegankelijkheid", "the accessibility statement", kind="page")
def accessibility_page(gw, request):
    return page("home/toegankelijkheid.html", request, findings=FINDINGS,
                standing=STATUSES[FINDINGS["status"]])


# the statement is made from its findings file, in the model of the Dutch register
FINDINGS = tomllib.loads((Path(__file__).resolve().parent / "accessibility.toml").read_text(encoding="utf-8"))
STATUSES = {"A": ("Voldoet volledig", "Fully compliant"),
            "B": ("Voldoet gedeeltelijk", "Partially compliant"),
            "C": ("Eerste maatregelen genomen", "First measures taken"),
            "D": ("Voldoet niet", "Not compliant"),
            "E": ("Geen toegankelijkheidsverklaring", "No accessibility statement")}
