"""Analytics routes (an analyst's token, or the admin's): the four reports as JSON or, with
``format=csv``, the same cells as CSV; the event stream as server-sent events; and the clicks
that the result lists report. Answered by the analytics and search services."""
from __future__ import annotations

import json
import math
import secrets

import eventlet
from werkzeug.wrappers import Response

from services.chassis.csvfile import csv_text
from services.chassis.errors import ValidationFailed
from services.gateway.auth import require
from services.gateway.charts import bar_chart
from services.gateway.http import json_response, route
from services.gateway.pages import language, page, sign_in, signed_in
from services.gateway.problems import Problem

STREAM_SECONDS = 25     # then the stream ends; the client reconnects with Last-Event-ID
STREAM_POLL = 0.5


class AnalyticsRoutes:
    @route("GET", "/api/v1/analytics/demand")
    def demand_report(self, request):
        return self._report(request, "demand")

    @route("GET", "/api/v1/analytics/zero-results")
    def zero_results_report(self, request):
        return self._report(request, "zero-results")

    @route("GET", "/api/v1/analytics/funnel")
    def funnel_report(self, request):
        return self._report(request, "funnel")

    @route("GET", "/api/v1/analytics/supply-demand")
    def supply_demand_report(self, request):
        return self._report(request, "supply-demand")

    def _report(self, request, report: str):
        require(self.principal(request), "analyst", "admin")
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "csv"):
            raise Problem(422, "Validation failed", "format is json or csv", [{"field": "format", "message": "json or csv"}])
        answer = self.call("analytics", "report", report, {k: v for k, v in request.args.items() if k != "format"})
        if fmt == "csv":
            return Response(as_csv(answer), mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{report}-{answer["from"]}-{answer["to"]}.csv"'})
        return json_response(answer)

    @route("GET", "/api/v1/events/stream")
    def event_stream(self, request):
        """Every archived event as server-sent events, in the order they arrived; ``Last-Event-ID``
        (or ``?after=``) resumes after the one with that id."""
        require(self.principal(request), "analyst", "admin")
        last = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
        if not last.isdigit():
            raise Problem(422, "Validation failed", "Last-Event-ID is the id of an event of this stream",
                          [{"field": "Last-Event-ID", "message": "a number"}])
        try:
            seconds = min(float(request.args.get("seconds", STREAM_SECONDS)), STREAM_SECONDS)
        except ValueError:
            seconds = math.nan
        if not seconds >= 0:        # not a number (nan too)
            raise Problem(422, "Validation failed", "seconds is how long the stream stays open",
                          [{"field": "seconds", "message": f"a number of seconds, 0 to {STREAM_SECONDS}"}])

        def events():
            after, waited = int(last), 0.0
            yield "retry: 1000\n\n"
            while waited < seconds:
                batch = self.call("analytics", "events_after", after, 200)
                for event in batch:
                    after = event["seq"]
                    data = {k: event[k] for k in ("event_id", "source", "event_type", "occurred_at", "payload")}
                    yield f"id: {after}\nevent: {event['event_type']}\ndata: {json.dumps(data)}\n\n"
                if not batch:
                    eventlet.sleep(STREAM_POLL)
                    waited += STREAM_POLL
        return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-store"})


def as_csv(answer: dict) -> str:
    """A report's rows as CSV: its columns, the same cells as the JSON (a hidden one empty), a
    ``suppressed`` column, and the totals as the last line."""
    columns = answer["columns"]
    rows = [columns + ["suppressed"]]
    rows += [[row.get(c) for c in columns] + [bool(row.get("suppressed"))] for row in answer["rows"]]
    if answer.get("totals"):
        rows.append(["totaal" if i == 0 else answer["totals"].get(c, "") for i, c in enumerate(columns)]
                    + [None in answer["totals"].values()])
    return csv_text(rows)


class DashboardPages:
    """``/analyse``: the analysts' dashboard, server-rendered with SVG charts; signing in with the
    analyst token sets a cookie only the server reads (HttpOnly, SameSite=Strict)."""

    @route("GET", "/analyse")
    def dashboard(self, request):
        me = signed_in(request, "analyst", self.config["ADMIN_TOKEN"], self.call)
        if me is None:
            return page("inloggen.html", request, role="analyst")
        params = {k: request.args[k] for k in ("from", "to") if request.args.get(k)}
        try:
            answers = {name: self.call("analytics", "report", name, {**params, **extra})
                       for name, extra in DASHBOARD_REPORTS.items()}
            error = None
        except ValidationFailed as exc:
            error = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
            answers = {name: self.call("analytics", "report", name, extra) for name, extra in DASHBOARD_REPORTS.items()}
        nonce = secrets.token_urlsafe(16)       # the charts' style blocks are allowed by it
        return page("analyse.html", request, nonce=nonce, error=error, min_group=answers["demand"]["min_group"],
                    period={"from": answers["demand"]["from"], "to": answers["demand"]["to"]},
                    sections=dashboard_sections(answers, language(request), nonce))

    @route("POST", "/analyse/inloggen")
    def dashboard_sign_in(self, request):
        return sign_in(request, "analyst", "/analyse", self.config["ADMIN_TOKEN"], self.call)


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
