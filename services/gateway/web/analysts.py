"""``/analyse``: the analysts' dashboard, server-rendered with SVG charts and their tables; signing
in with the analyst token opens a session (``sessions.py``). Answered by the analytics service."""
from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import get_args
from urllib.parse import urlencode

from services.chassis import texts
from services.chassis.errors import ValidationFailed
from services.contracts.courses import Province, Sector
from services.gateway.routing import Routes, query
from services.gateway.web.charts import bar_chart
from services.gateway.reports import csv_download
from services.gateway.web.render import language, page, redirect
from services.gateway.web.sessions import sign_in, sign_in_page, signed_in
from services.gateway.web.words import problem_text

ROUTES = Routes()


@ROUTES("GET", "/analyse", "the analysts' dashboard (charts and their tables): a period (or a quick one), per week or "
        "month, one province or sector; a sign-in form without a session", kind="page",
        params=(query("from", {"type": "string", "format": "date"}), query("to", {"type": "string", "format": "date"}),
                query("per", {"enum": ["week", "month"]}), query("province", {"type": "string"}),
                query("sector", {"type": "string"})))
def dashboard(gw, request):
    me = signed_in(request, "analyst", gw.config["ADMIN_TOKEN"], gw)
    if me is None:
        return sign_in_page(gw, request, "analyst")
    lang = language(request)
    asked, errors = _asked(request.args, lang)
    try:
        answers = {name: gw.analytics.report(name, _params(name, asked)) for name in DASHBOARD_REPORTS}
    except ValidationFailed as exc:      # what the page did not check itself: the period's length
        errors += [{"field": "from", "label": "", "message": problem_text(e["message"], lang)} for e in exc.errors]
        asked = {"per": asked["per"]}
        answers = {name: gw.analytics.report(name, _params(name, asked)) for name in DASHBOARD_REPORTS}
    nonce = secrets.token_urlsafe(16)       # the charts' style blocks are allowed by it
    period = {"from": answers["demand"]["from"], "to": answers["demand"]["to"]}
    return page("analysts/analyse.html", request, me=me, nonce=nonce, errors=errors, status=400 if errors else 200,
                min_group=answers["demand"]["min_group"], period=period, asked=asked,
                quick=_quick(asked, lang), provinces=get_args(Province), sectors=get_args(Sector),
                sections=dashboard_sections(answers, lang, nonce, asked))


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
# which of the dashboard's filters each report takes (the funnel and the supply are of the whole country)
FILTERED = {"demand": ("province", "sector"), "zero-results": ("province", "sector")}
QUICK = (("4 weken", "4 weeks", 27), ("kwartaal", "quarter", 90), ("jaar", "year", 364))
LABEL_SHOWN = 60        # a label longer than this is cut, with an ellipsis (the CSV has it whole)
WORDS = {
    "nl": {"searches": "zoekvragen", "zero": "zonder resultaat", "intakes": "aanvragen", "week": "week",
           "query": "zoekvraag", "kind": "soort", "nothing": "nergens", "elsewhere": "elders", "filtered_out":
           "weggefilterd", "nearest": "dichtstbij", "step": "stap", "people": "aantal", "views": "bekeken",
           "advice": "advies", "enrolled": "ingeschreven", "province": "provincie", "provinces": "provincies", "month": "maand",
           "demand_month": "Vraag per maand", "offerings": "open startmomenten",
           "demand": "Vraag per week", "unmet": "Meest gezocht zonder resultaat", "funnel": "Van zoeken tot inschrijven",
           "supply": "Aanbod naast vraag per provincie"},
    "en": {"searches": "searches", "zero": "without results", "intakes": "requests", "week": "week",
           "query": "query", "kind": "kind", "nothing": "nowhere", "elsewhere": "elsewhere", "filtered_out":
           "filtered out", "nearest": "nearest", "step": "step", "people": "count", "views": "viewed",
           "advice": "advice", "enrolled": "enrolled", "province": "province", "provinces": "provinces", "month": "month",
           "demand_month": "Demand per month", "offerings": "open start dates",
           "demand": "Demand per week", "unmet": "Most searched without results", "funnel": "From search to enrolment",
           "supply": "Supply beside demand per province"},
}


def _asked(args, lang: str) -> tuple[dict, list[dict]]:
    """The dashboard's filters as asked, and an error beside each field that cannot be used."""
    asked, errors = {"per": "month" if args.get("per") == "month" else "week"}, []
    for name in ("from", "to"):
        if args.get(name):
            try:
                asked[name] = date.fromisoformat(args[name])
            except ValueError:
                errors.append({"field": name, "label": "", "message": (
                    "Vul een datum in, zoals 1 maart 2027" if lang == "nl" else "Fill in a date, like 1 March 2027")})
    if "from" in asked and "to" in asked and asked["from"] > asked["to"]:
        errors.append({"field": "from", "label": "", "message": (
            "De begindatum ligt na de einddatum: draai ze om" if lang == "nl" else
            "The start date is after the end date: swap them")})
        del asked["from"], asked["to"]
    for name, values in (("province", get_args(Province)), ("sector", get_args(Sector))):
        if args.get(name) in values:
            asked[name] = args[name]
    return asked, errors


def _params(report: str, asked: dict) -> dict:
    params = {**DASHBOARD_REPORTS[report], **{k: str(asked[k]) for k in ("from", "to") if k in asked}}
    params.update({k: asked[k] for k in FILTERED.get(report, ()) if k in asked})
    if report == "demand":
        params["group_by"] = asked["per"]
    return params


def _quick(asked: dict, lang: str) -> list[tuple[str, str]]:
    """The quick periods up to today, each keeping the other filters."""
    today = texts.today()
    keep = {k: v for k, v in asked.items() if k not in ("from", "to")}
    return [(nl if lang == "nl" else en, "/analyse?" + urlencode({**keep, "from": str(today - timedelta(days=days)),
                                                                  "to": str(today), **({"lang": "en"} if lang == "en"
                                                                                       else {})}))
            for nl, en, days in QUICK]


def _label(key, lang: str) -> str:
    """A row's key as the page shows it: "-" (no value known) as "onbekend", a long one cut."""
    text = ("onbekend" if lang == "nl" else "unknown") if key in ("-", "", None) else str(key)
    return text if len(text) <= LABEL_SHOWN else text[:LABEL_SHOWN - 1] + "…"


def dashboard_sections(answers: dict, lang: str, nonce: str, asked: dict) -> list[dict]:
    w = WORDS[lang]
    demand, zero, funnel, supply = (answers[k]["rows"] for k in ("demand", "zero-results", "funnel", "supply-demand"))
    query = f"from={answers['demand']['from']}&to={answers['demand']['to']}"
    filters = "".join(f"&{k}={asked[k]}" for k in ("province", "sector") if k in asked)
    # the report's total where it keeps one (a count of people, hidden when small), else the rows'
    totals = answers["demand"].get("totals") or {}
    searched = totals["searches"] if "searches" in totals else sum(r["searches"] or 0 for r in demand)
    total = (funnel or [{}])[0]
    steps = [(w["searches"], total.get("searches")), (w["views"], total.get("views")),
             (w["intakes"], total.get("intakes")), (w["advice"], total.get("advice")),
             (w["enrolled"], total.get("enrolled"))]
    return [
        _section("demand", w["demand" if asked["per"] == "week" else "demand_month"],
                 f"{'–' if searched is None else searched} {w['searches']}", "demand",
                 query + f"&group_by={asked['per']}" + filters, [w[asked["per"]], w["searches"], w["zero"], w["intakes"]],
                 [[r["key"], r["searches"], r["zero_result_searches"], r["intakes"]] for r in demand], nonce, lang),
        _section("unmet", w["unmet"], ", ".join(f"{_label(r['example'], lang)} ({w[r['kind']]})" for r in zero[:5]) or "–",
                 "zero-results", query + filters, [w["query"], w["kind"], w["searches"], w["nearest"]],
                 [[r["example"], w[r["kind"]], r["searches"], r["nearest_place"]] for r in zero], nonce, lang,
                 horizontal=True),
        _section("funnel", w["funnel"], ", ".join(f"{name} {'–' if n is None else n}" for name, n in steps),
                 "funnel", query, [w["step"], w["people"]], [[name, n] for name, n in steps], nonce, lang),
        _section("supply", w["supply"], f"{len(supply)} {w['provinces']}", "supply-demand",
                 query + "&group_by=province", [w["province"], w["offerings"], w["searches"], w["intakes"]],
                 [[r["key"], r["open_offerings"], r["searches"], r["intakes"]] for r in supply], nonce, lang),
    ]


def _section(section_id: str, title: str, description: str, report: str, query: str, headings: list[str],
             rows: list[list], nonce: str, lang: str, horizontal: bool = False) -> dict:
    rows = [[_label(r[0], lang), *r[1:]] for r in rows]
    labels = [r[0] for r in rows]
    series = {heading: [r[i] if isinstance(r[i], (int, float)) or r[i] is None else None for r in rows]
              for i, heading in enumerate(headings) if i and any(isinstance(r[i], (int, float)) for r in rows)}
    svg = bar_chart(title, description, labels, series or {title: []}, nonce, horizontal, chart_id=f"chart-{section_id}")
    return {"id": section_id, "title": title, "description": description, "svg": svg, "headings": headings,
            "rows": rows, "report": report, "query": query}
