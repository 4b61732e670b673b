"""Analytics routes (an analyst's token, or the admin's): the four reports as JSON or, with
``format=csv``, the same cells as CSV; the event stream as server-sent events; and the analysts
themselves (admin). Answered by the analytics service."""
from __future__ import annotations

import functools
import json
import math

import eventlet
from werkzeug.wrappers import Response

from services.contracts import cloudevents
from services.contracts.analytics import NewAnalyst
from services.gateway.http import json_response, read_model
from services.gateway.problems import Problem
from services.gateway.reports import csv_download
from services.gateway.routing import Routes, query
from services.gateway.schemas import OBJECT

STREAM_SECONDS = 25     # then the stream ends; the client reconnects with Last-Event-ID
STREAM_POLL = 0.5
READERS = ("analyst", "admin")
PERIOD = (query("from", {"type": "string", "format": "date"}, "first day (default: 89 days before to)"),
          query("to", {"type": "string", "format": "date"}, "last day (today)"),
          query("format", {"enum": ["json", "csv"], "default": "json"}, "csv: the same cells as a CSV download"))
REPORT = {"200": {"description": "rows (a count of people below min_group is null, its row suppressed: true), totals",
                  "content": {"application/json": {"schema": OBJECT}, "text/csv": {"schema": {"type": "string"}}}}}

ROUTES = Routes()


def report(path: str, name: str, summary: str, *params: dict) -> None:
    """A report's route: JSON, or its cells as CSV."""
    def answer(gw, request, me):
        return _report(gw, request, name)
    answer.__name__ = f"{name.replace('-', '_')}_report"
    ROUTES("GET", path, summary, roles=READERS, params=(*PERIOD, *params), answer=OBJECT, errors=(422,),
           responses=REPORT)(answer)


report("/api/v1/analytics/demand", "demand",
       "Searches, zero-result searches, clicks, views, intakes, advice and enrolments per group",
       query("group_by", {"enum": ["sector", "level", "province", "situation", "week", "month"], "default": "week"}),
       query("province", {"type": "string"}, "only this province"), query("sector", {"type": "string"}, "only this sector"))
report("/api/v1/analytics/zero-results", "zero-results",
       "Queries (normalised) that found nothing, by kind: nothing, elsewhere (with the nearest place), filtered_out",
       query("province", {"type": "string"}), query("sector", {"type": "string"}),
       query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}))
report("/api/v1/analytics/funnel", "funnel",
       "Search, view, intake, advice, enrolled: counts, conversion and time between steps (90-day window)",
       query("group_by", {"enum": ["sector", "province", "situation"]}))
report("/api/v1/analytics/supply-demand", "supply-demand",
       "Open offerings beside searches and intakes per province or sector",
       query("group_by", {"enum": ["province", "sector"], "default": "province"}))


def _report(gw, request, name: str):
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Problem(422, "Validation failed", "format is json or csv", [{"field": "format", "message": "json or csv"}])
    answer = gw.analytics.report(name, {k: v for k, v in request.args.items() if k != "format"})
    if fmt == "csv":
        return csv_download(name, answer)
    return json_response(answer)


@ROUTES("GET", "/api/v1/events/stream", "Every archived event as server-sent events in the order they arrived (id: "
        "the event's place in the stream; Last-Event-ID or after= resumes; the stream ends after 25 s and the client "
        "reconnects); format=cloudevents sends each as a CloudEvent (structured, NL GOV profile)", roles=READERS,
        params=(query("after", {"type": "integer"}), query("seconds", {"type": "number", "maximum": 25}),
                query("format", {"type": "string", "enum": ["envelope", "cloudevents"], "default": "envelope"})),
        errors=(422,), responses={"200": {"description": "text/event-stream",
                                          "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
def event_stream(gw, request, me):
    """Every archived event as server-sent events, in the order they arrived; ``Last-Event-ID``
    (or ``?after=``) resumes after the one with that id."""
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
    fmt = request.args.get("format", "envelope")
    if fmt not in ("envelope", "cloudevents"):
        raise Problem(422, "Validation failed", "format is envelope or cloudevents",
                      [{"field": "format", "message": "envelope or cloudevents"}])
    as_cloudevent = functools.partial(cloudevents.structured, source_urn=gw.config["CLOUDEVENTS_SOURCE"],
                                      base_url=gw.config["PUBLIC_BASE_URL"])

    def events():
        after, waited = int(last), 0.0
        yield "retry: 1000\n\n"
        while waited < seconds:
            batch = gw.analytics.events_after(after, 200)
            for event in batch:
                after = event["seq"]
                data = {k: event[k] for k in ("event_id", "source", "event_type", "occurred_at", "payload")}
                if fmt == "cloudevents":
                    data = as_cloudevent(data)
                yield f"id: {after}\nevent: {event['event_type']}\ndata: {json.dumps(data)}\n\n"
            if not batch:
                eventlet.sleep(STREAM_POLL)
                waited += STREAM_POLL
    return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-store"})


# the analysts themselves (admin)

@ROUTES("POST", "/api/v1/analysts", "Create an analyst (its token is shown once)", roles=("admin",), body=NewAnalyst,
        answer=OBJECT, status=201)
def create_analyst(gw, request, me):
    return json_response(gw.analytics.create_analyst(read_model(request, NewAnalyst)), 201)


@ROUTES("DELETE", "/api/v1/analysts/<analyst_id>", "Revoke an analyst's token", roles=("admin",), status=204,
        errors=(404,), responses={"204": {"description": "revoked"}})
def revoke_analyst(gw, request, analyst_id, me):
    gw.analytics.revoke_analyst(analyst_id)
    return Response(status=204)
