"""``/analyse``: the analysts' dashboard, server-rendered with SVG charts and their tables; signing
in with the analyst token opens a session (``sessions.py``). Answered by the analytics service."""
from __future__ import annotations

import secrets

from services.chassis.errors import ValidationFailed
from services.gateway.routing import Routes
from services.gateway.web.charts import bar_chart
from services.gateway.reports import csv_download
from services.gateway.web.render import language, page, redirect
from services.gateway.web.sessions import sign_in, signed_in

ROUTES = Routes()


@ROUTES("GET", "/analyse", "the analysts' dashboard (charts and their tables); a sign-in form without a session",
        kind="page")
def dashboard(gw, request):
    me = signed_in(request, "analyst", gw.config["ADMIN_TOKEN"], gw)
    if me is None:
        return page("inloggen.html", request, role="analyst")
    params = {k: request.args[k] for k in ("from", "to") if request.args.get(k)}
    try:
        answers = {name: gw.analytics.report(name, {**params, **extra})
                   for name, extra in DASHBOARD_REPORTS.items()}
        error = None
    except ValidationFailed as exc:
        error = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
        answers = {name: gw.analytics.report(name, extra) for name, extra in DASHBOARD_REPORTS.items()}
    nonce = secrets.token_urlsafe(16)       # the charts' style blocks are allowed by it
    return page("analysts/analyse.html", request, nonce=nonce, error=error, min_group=answers["demand"]["min_group"],
                period={"from": answers["demand"]["from"], "to": answers["demand"]["to"]},
                sections=dashboard_sections(answers, language(request), nonce))


@ROUTES("GET", "/analyse/rapport/<report>", "a report of the dashboard as a CSV download (the same cells as the API's "
        "format=csv), in the analyst's session", kind="page",
        responses={"200": {"description": "a CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}},
                   "303": {"description": "not signed in: to /analyse"}})
def dashboard_download(gw, request, report):
    if signed_in(request, "analyst", gw.config["ADMIN_TOKEN"], gw) is None:
        return redirect("/analyse")
    if report not in DASHBOARD_REPORTS:
        return page("niet_gevonden.html", request, status=404)
    return csv_download(report, gw.analytics.report(report, {k: v for k, v in request.args.items() if k != "format"}))


@ROUTES("POST", "/analyse/inloggen", "sign in with an analyst token (form field token)", kind="form",
        responses={"303": {"description": "signed in: to /analyse"},
                   "401": {"description": "unknown token: the form again"}})
def dashboard_sign_in(gw, request):
    return sign_in(request, "analyst", "/analyse", gw.config["ADMIN_TOKEN"], gw)


DASHBOARD_REPORTS = {"demand": {"group_by": "week"}, "zero-results": {"limit": 15}, "funnel": {},
                     "supply-demand": {"group_by": "province"}}
WORDS = {
    "nl": {"searches": "zoekvragen", "zero": "zonder resultaat", "intakes": "aanvragen", "week": "week",
           "query": "zoekvraag", "kind": "soort", "nothing": "nergens", "elsewhere": "elders", "filtered_out":
           "weggefilterd", "nearest": "dichtstbij", "step": "stap", "people": "aantal", "views": "bekeken",
           "advice": "advies", "enrolled": "ingeschreven", "province": "provincie", "offerings": "open startmomenten",
           "demand": "Vraag per week", "unmet": "Meest gezocht zonder resultaat", "funnel": "Van zoeken tot inschrijven",
           "supply": "Aanbod naast vraag per provincie"},
    "en": {"searches": "searches", "zero": "without results", "intakes": "requests", "week": "week",
           "query": "query", "kind": "kind", "nothing": "nowhere", "elsewhere": "elsewhere", "filtered_out":
           "filtered out", "nearest": "nearest", "step": "step", "people": "count", "views": "viewed",
           "advice": "advice", "enrolled": "enrolled", "province": "province", "offerings": "open start dates",
           "demand": "Demand per week", "unmet": "Most searched without results", "funnel": "From search to enrolment",
           "supply": "Supply beside demand per province"},
}


def dashboard_sections(answers: dict, lang: str, nonce: str) -> list[dict]:
    w = WORDS[lang]
    demand, zero, funnel, supply = (answers[k]["rows"] for k in ("demand", "zero-results", "funnel", "supply-demand"))
    query = f"from={answers['demand']['from']}&to={answers['demand']['to']}"
    total = (funnel or [{}])[0]
    steps = [(w["searches"], total.get("searches")), (w["views"], total.get("views")),
             (w["intakes"], total.get("intakes")), (w["advice"], total.get("advice")),
             (w["enrolled"], total.get("enrolled"))]
    return [
        _section("demand", w["demand"], f"{sum(r['searches'] for r in demand)} {w['searches']}", "demand",
                 query + "&group_by=week", [w["week"], w["searches"], w["zero"], w["intakes"]],
                 [[r["key"], r["searches"], r["zero_result_searches"], r["intakes"]] for r in demand], nonce),
        _section("unmet", w["unmet"], ", ".join(f"{r['example']} ({w[r['kind']]})" for r in zero[:5]) or "–",
                 "zero-results", query, [w["query"], w["kind"], w["searches"], w["nearest"]],
                 [[r["example"], w[r["kind"]], r["searches"], r["nearest_place"]] for r in zero], nonce, horizontal=True),
        _section("funnel", w["funnel"], ", ".join(f"{name} {'–' if n is None else n}" for name, n in steps),
                 "funnel", query, [w["step"], w["people"]], [[name, n] for name, n in steps], nonce),
        _section("supply", w["supply"], f"{len(supply)} {w['province']}", "supply-demand",
                 query + "&group_by=province", [w["province"], w["offerings"], w["searches"], w["intakes"]],
                 [[r["key"], r["open_offerings"], r["searches"], r["intakes"]] for r in supply], nonce),
    ]


def _section(section_id: str, title: str, description: str, report: str, query: str, headings: list[str],
             rows: list[list], nonce: str, horizontal: bool = False) -> dict:
    labels = [str(r[0]) for r in rows]
    series = {heading: [r[i] if isinstance(r[i], (int, float)) or r[i] is None else None for r in rows]
              for i, heading in enumerate(headings) if i and any(isinstance(r[i], (int, float)) for r in rows)}
    svg = bar_chart(title, description, labels, series or {title: []}, nonce, horizontal, chart_id=f"chart-{section_id}")
    return {"id": section_id, "title": title, "description": description, "svg": svg, "headings": headings,
            "rows": rows, "report": report, "query": query}
