"""The OpenAPI 3.1 document of the public HTTP contract, with schemas from the shared models."""
from __future__ import annotations

import functools
from typing import get_args

from pydantic.json_schema import models_json_schema

from services.contracts.courses import Course, CourseInput, CourseStatus, FundingScheme, FundingSchemeInput
from services.contracts.intake import IntakeStatus, NewAdvisor, NewIntake, NewStep, NewTeam
from services.contracts.notify import LeadEmail, NewSubscription, NewWebhook
from services.contracts.rpc import (
    IMPORT_MODES, LIST_MAX_PAGE, LIST_MAX_PAGE_SIZE, UPSERT, Click, NewAnalyst, NewOoapiEndpoint, NewProvider,
    SearchRequest,
    SearchResponse,
)
from services.gateway import bodies

PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _responses(ok: int, schema: dict, *errors: int) -> dict:
    out = {str(ok): {"description": "OK", "content": _json(schema)}}
    for status in errors:
        out[str(status)] = {"description": "error",
                            "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    # every /api route: a client over its rate limit (services/gateway/limits.py)
    out["429"] = {"description": "too many requests from this client",
                  "headers": {"Retry-After": {"description": "seconds until a request is accepted again",
                                              "schema": {"type": "integer"}}},
                  "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    # every /api route asks a service: while it (or its database) cannot answer
    out["503"] = {"description": "a service or its database is away for a moment: try again after Retry-After",
                  "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
                  "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    return out


def _page(item: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"}}}


IMPORT_REPORT = {"type": "object", "properties": {
    "import_id": {"type": "string"}, "accepted": {"type": "integer"},
    "rejected": {"type": "array", "items": {"type": "object", "properties": {
        "line": {"type": "integer"}, "external_id": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}}}},
        "description": "the first 1,000 rejected lines"},
    "rejected_total": {"type": "integer", "description": "every rejected line, counted"},
    "withdrawn": {"type": "array", "items": {"type": "string"}}}}
PROVIDER_ID = [{"name": "provider_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]
COURSE_ID = [{"name": "course_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]
PROVIDER = [{"provider_key": []}]
OOAPI_ENDPOINT = {"type": "object", "properties": {
    "base_url": {"type": "string"}, "has_authorization": {"type": "boolean"},
    "schedule": {"enum": ["nightly", "manual"]}, "higher_education": {"enum": ["hbo", "wo"]},
    "next_sync_at": {"type": ["string", "null"], "format": "date-time"},
    "sync_under_way": {"type": ["string", "null"], "description": "the import id of a sync asked for or running"},
    "last_sync": {"type": ["object", "null"]}}}
ADMIN = [{"admin_token": []}]
ADVISOR = [{"advisor_token": []}]
INTAKE_ID = [{"name": "intake_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]
TOKEN = [{"name": "token", "in": "query", "required": True, "schema": {"type": "string"},
          "description": "the token the person received with their request"}]
PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": LIST_MAX_PAGE, "default": 1}},
          {"name": "page_size", "in": "query",
           "schema": {"type": "integer", "minimum": 1, "maximum": LIST_MAX_PAGE_SIZE, "default": 20}}]
OBJECT = {"type": "object"}


def intake_paths() -> dict:
    """Advisor teams, advisors, analysts, intake requests and providers' leads."""
    return {
        "/api/v1/advisor-teams": {
            "post": {"summary": "Create an advisor team (a region: provinces and/or postcode ranges; office hours, "
                                "working hours a callback may take, closing days)", "security": ADMIN,
                     "requestBody": {"required": True, "content": _json(_ref("NewTeam"))},
                     "responses": _responses(201, OBJECT, 400, 401, 403, 409, 422)},
            "get": {"summary": "The advisor teams (landelijk first: it takes what no region claims)", "security": ADMIN,
                    "responses": _responses(200, OBJECT, 401, 403)}},
        "/api/v1/advisors": {
            "post": {"summary": "Create an advisor of a team (its token is shown once)", "security": ADMIN,
                     "requestBody": {"required": True, "content": _json(_ref("NewAdvisor"))},
                     "responses": _responses(201, OBJECT, 400, 401, 403, 422)}},
        "/api/v1/advisors/{advisor_id}": {
            "parameters": [{"name": "advisor_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "delete": {"summary": "Revoke an advisor's token (the next request with it is a 401)", "security": ADMIN,
                       "responses": {**_responses(204, {}, 401, 403, 404), "204": {"description": "revoked"}}}},
        "/api/v1/analysts": {
            "post": {"summary": "Create an analyst (its token is shown once)", "security": ADMIN,
                     "requestBody": {"required": True, "content": _json(_ref("NewAnalyst"))},
                     "responses": _responses(201, OBJECT, 400, 401, 403, 422)}},
        "/api/v1/analysts/{analyst_id}": {
            "parameters": [{"name": "analyst_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "delete": {"summary": "Revoke an analyst's token", "security": ADMIN,
                       "responses": {**_responses(204, {}, 401, 403, 404), "204": {"description": "revoked"}}}},
        "/api/v1/intakes": {
            "post": {"summary": "Ask to be called back (anyone). The answer holds the team, the deadline and the "
                                "token for the status, export and erasure links; too many requests from one "
                                "address or for one contact is a 429",
                     "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                     "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                                     "description": "sent again with the same key (after a 503 or a dropped "
                                                    "connection), the request makes no second intake: the "
                                                    "answer is the first one's"}],
                     "requestBody": {"required": True, "content": _json(_ref("NewIntake"))},
                     "responses": _responses(201, OBJECT, 400, 422)},
            "get": {"summary": "The advisor's team's requests (an admin: every team's), overdue first, then by "
                               "deadline; no contact details", "security": ADVISOR + ADMIN,
                    "parameters": PAGING + [
                        {"name": "status", "in": "query", "schema": {"enum": list(IntakeStatus.__args__)}},
                        {"name": "overdue", "in": "query", "schema": {"type": "boolean", "default": False}}],
                    "responses": _responses(200, OBJECT, 401, 403, 422)}},
        "/api/v1/intakes/{intake_id}": {
            "parameters": INTAKE_ID,
            "get": {"summary": "One request with the person's contact details (the read is logged); another "
                               "team's is a 404", "security": ADVISOR + ADMIN,
                    "responses": _responses(200, OBJECT, 401, 403, 404)},
            "delete": {"summary": "The person erases their data (everywhere); the facts stay for statistics",
                       "parameters": TOKEN,
                       "responses": {**_responses(204, {}, 401, 404), "204": {"description": "erased"}}}},
        "/api/v1/intakes/{intake_id}/status": {
            "parameters": INTAKE_ID,
            "get": {"summary": "The person's view: status, team, deadline, history (no advisors' notes)",
                    "parameters": TOKEN, "responses": _responses(200, OBJECT, 401, 404)}},
        "/api/v1/intakes/{intake_id}/export": {
            "parameters": INTAKE_ID,
            "get": {"summary": "Everything held about the person, with the log of who read it",
                    "parameters": TOKEN, "responses": _responses(200, OBJECT, 401, 404)}},
        "/api/v1/intakes/{intake_id}/events": {
            "parameters": INTAKE_ID,
            "post": {"summary": "Record a step (call_attempted, waiting_for_person with until, advice_given, "
                                "enrolled, closed); an impossible step is a 409", "security": ADVISOR + ADMIN,
                     "requestBody": {"required": True, "content": _json(_ref("NewStep"))},
                     "responses": _responses(200, OBJECT, 400, 401, 403, 404, 409, 422)}},
        "/api/v1/providers/me/leads": {
            "get": {"summary": "Requests about the provider's courses whose person agreed to share their details "
                               "(without_consent: how many did not)", "security": PROVIDER,
                    "parameters": PAGING, "responses": _responses(200, OBJECT, 401, 403, 422)}},
        "/api/v1/providers/me/leads/{intake_id}": {
            "parameters": INTAKE_ID,
            "get": {"summary": "A shared lead's contact details (the read is logged and shown to the person)",
                    "security": PROVIDER, "responses": _responses(200, OBJECT, 401, 403, 404)}},
    }


MESSAGE_STATUS = {"enum": ["created", "sending", "delivered", "temporary-failure", "permanent-failure",
                           "technical-failure"]}
SUB_TOKEN = [{"name": "token", "in": "query", "required": True, "schema": {"type": "string"},
              "description": "the token of the saved search's mail"}]
HTML_PAGE = {"200": {"description": "a page", "content": {"text/html": {"schema": {"type": "string"}}}}}


def notify_paths() -> dict:
    """Providers' webhooks, lead mail and deliveries; saved searches and their two pages; the
    admin's delivery log."""
    return {
        "/api/v1/providers/me/webhook": {
            "put": {"summary": "Register (or, with the same URL, rotate the secret of) the provider's webhook; the "
                               "whsec_ secret is shown once, the old one signs too for 24 hours", "security": PROVIDER,
                    "requestBody": {"required": True, "content": _json(_ref("NewWebhook"))},
                    "responses": _responses(200, OBJECT, 400, 401, 403, 422)},
            "delete": {"summary": "Remove the webhook", "security": PROVIDER,
                       "responses": {**_responses(204, {}, 401, 403, 404), "204": {"description": "removed"}}}},
        "/api/v1/providers/me/lead-email": {
            "put": {"summary": "A work address for 'new lead' mail (null stops it)", "security": PROVIDER,
                    "requestBody": {"required": True, "content": _json(_ref("LeadEmail"))},
                    "responses": _responses(200, OBJECT, 400, 401, 403, 404, 422)}},
        "/api/v1/providers/me/webhook/deliveries": {
            "get": {"summary": "The provider's webhook deliveries (newest first) with status and attempts",
                    "security": PROVIDER,
                    "parameters": PAGING + [{"name": "status", "in": "query", "schema": MESSAGE_STATUS}],
                    "responses": _responses(200, OBJECT, 401, 403, 422)}},
        "/api/v1/providers/me/webhook/deliveries/{message_id}/replay": {
            "parameters": [{"name": "message_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": {"summary": "Send a finished delivery again (the same webhook-id)", "security": PROVIDER,
                     "responses": _responses(202, OBJECT, 401, 403, 404, 422)}},
        "/api/v1/notifications": {
            "get": {"summary": "The delivery log of every message (no addresses)", "security": ADMIN,
                    "parameters": PAGING + [{"name": "status", "in": "query", "schema": MESSAGE_STATUS},
                                            {"name": "template", "in": "query", "schema": {"type": "string"}}],
                    "responses": _responses(200, OBJECT, 401, 403, 422)}},
        "/api/v1/saved-searches": {
            "post": {"summary": "Subscribe to a search (anyone); a confirmation mail follows, nothing is sent "
                                "before it is confirmed",
                     "requestBody": {"required": True, "content": _json(_ref("NewSubscription"))},
                     "responses": _responses(202, OBJECT, 400, 422)}},
        "/api/v1/saved-searches/confirm": {
            "post": {"summary": "Confirm a saved search with the token of its mail",
                     "requestBody": {"required": True, "content": _json({"type": "object", "required": ["token"],
                                                                         "properties": {"token": {"type": "string"}}})},
                     "responses": _responses(200, OBJECT, 400, 404, 422)}},
        "/api/v1/saved-searches/unsubscribe": {
            "post": {"summary": "End a saved search (RFC 8058 one-click: the URL of the List-Unsubscribe header)",
                     "parameters": SUB_TOKEN, "responses": _responses(200, OBJECT, 404)}},
        "/zoekopdrachten/bevestigen": {
            "get": {"summary": "Page: one button that confirms the saved search (a GET alone changes nothing)",
                    "parameters": SUB_TOKEN, "responses": HTML_PAGE},
            "post": {"summary": "Page: confirms (form field token)", "responses": HTML_PAGE}},
        "/zoekopdrachten/afmelden": {
            "get": {"summary": "Page: one button that ends the saved search", "parameters": SUB_TOKEN,
                    "responses": HTML_PAGE},
            "post": {"summary": "Page: ends it (form field token)", "responses": HTML_PAGE}},
    }


ANALYST = [{"analyst_token": []}]
PERIOD = [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
           "description": "first day (default: 89 days before to)"},
          {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "last day (today)"},
          {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"], "default": "json"},
           "description": "csv: the same cells as a CSV download"}]
REPORT = {"description": "rows (a count of people below min_group is null, its row suppressed: true), totals",
          "content": {"application/json": {"schema": OBJECT}, "text/csv": {"schema": {"type": "string"}}}}


def analytics_paths() -> dict:
    """The reports, the event stream, clicks and the dashboard."""
    def report(summary: str, extra: list[dict]) -> dict:
        return {"get": {"summary": summary, "security": ANALYST + ADMIN, "parameters": PERIOD + extra,
                        "responses": {**_responses(200, OBJECT, 401, 403, 422), "200": REPORT}}}

    return {
        "/api/v1/analytics/demand": report(
            "Searches, zero-result searches, clicks, views, intakes, advice and enrolments per group",
            [{"name": "group_by", "in": "query", "schema": {"enum": ["sector", "level", "province", "situation", "week"],
                                                             "default": "week"}}]),
        "/api/v1/analytics/zero-results": report(
            "Queries (normalised) that found nothing, by kind: nothing, elsewhere (with the nearest place), filtered_out",
            [{"name": "province", "in": "query", "schema": {"type": "string"}},
             {"name": "sector", "in": "query", "schema": {"type": "string"}},
             {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}]),
        "/api/v1/analytics/funnel": report(
            "Search, view, intake, advice, enrolled: counts, conversion and time between steps (90-day window)",
            [{"name": "group_by", "in": "query", "schema": {"enum": ["sector", "province", "situation"]}}]),
        "/api/v1/analytics/supply-demand": report(
            "Open offerings beside searches and intakes per province or sector",
            [{"name": "group_by", "in": "query", "schema": {"enum": ["province", "sector"], "default": "province"}}]),
        "/api/v1/events/stream": {
            "get": {"summary": "Every archived event as server-sent events in the order they arrived (id: the "
                               "event's place in the stream; Last-Event-ID or after= resumes; the stream ends after "
                               "25 s and the client reconnects)", "security": ANALYST + ADMIN,
                    "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}},
                                   {"name": "seconds", "in": "query", "schema": {"type": "number", "maximum": 25}}],
                    "responses": {"200": {"description": "text/event-stream",
                                          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                                  **{k: v for k, v in _responses(200, OBJECT, 401, 403, 422).items() if k != "200"}}}},
        "/api/v1/search/{search_id}/clicks": {
            "parameters": [{"name": "search_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": {"summary": "A hit opened from that search's result list (demand data, nothing personal)",
                     "requestBody": {"required": True, "content": _json(_ref("Click"))},
                     "responses": {**_responses(204, {}, 400, 422), "204": {"description": "recorded"}}}},
        "/analyse": {"get": {"summary": "Page: the analysts' dashboard (charts and their tables); a sign-in form "
                                        "without a session", "responses": HTML_PAGE}},
        "/analyse/inloggen": {"post": {"summary": "Page: sign in with an analyst token (form field token)",
                                       "responses": {**HTML_PAGE, "303": {"description": "signed in: to /analyse"},
                                                     "401": {"description": "unknown token: the form again"}}}},
    }


def pages_paths() -> dict:
    """The pages people use (HTML; forms POST with a CSRF token)."""
    def get(summary: str, params: list | None = None) -> dict:
        return {"get": {"summary": f"Page: {summary}", "parameters": params or [], "responses": HTML_PAGE}}

    def post(summary: str, params: list | None = None) -> dict:
        return {"post": {"summary": f"Page form: {summary}", "parameters": params or [], "responses": {
            **HTML_PAGE, "303": {"description": "done: on to the next page"},
            "400": {"description": "the form again, with its errors beside the fields"},
            "403": {"description": "the form's CSRF token is missing or wrong"}}}}

    path_id = lambda name: [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]  # noqa: E731
    return {
        "/": get("home: the five situations and a search box"),
        "/static/{name}": {"get": {"summary": "The pages' style sheet and script", "parameters": path_id("name"),
                                   "responses": {"200": {"description": "site.css or site.js"},
                                                 "404": {"description": "no such file"}}}},
        "/zoeken": get("search results with every filter of the search API (the URL holds the whole search)"),
        "/opleidingen/{course_id}": {**get("a course: offerings, provider, funding schemes; search_id records the view",
                                           path_id("course_id"))},
        "/opleidingen/{course_id}/aanvragen": {**get("the intake form for a course", path_id("course_id")),
                                               **post("send the intake request", path_id("course_id"))},
        "/aanvragen": {**get("the intake form without a course"), **post("send the intake request")},
        "/aanvraag/{intake_id}": get("the person's request: team, deadline, history, export and erasure",
                                     path_id("intake_id") + TOKEN),
        "/aanvraag/{intake_id}/gegevens": {"get": {"summary": "Download everything held about the person (JSON)",
                                                   "parameters": path_id("intake_id") + TOKEN,
                                                   "responses": {"200": {"description": "a JSON file"}}}},
        "/aanvraag/{intake_id}/wissen": post("erase the person's data (token and CSRF in the form)", path_id("intake_id")),
        "/toegankelijkheid": get("the accessibility statement"),
        "/aanbieders": get("a provider's courses with completeness, imports and leads (a sign-in form without a session)"),
        "/aanbieders/inloggen": post("sign in with the provider's API key"),
        "/aanbieders/import": post("upload an import file (multipart); on to its progress"),
        "/aanbieders/import/{import_id}": get("an import's progress and rejected lines", path_id("import_id")),
        "/adviseurs": get("the advisor's team's requests, overdue first, 50 a page (a sign-in form without a session)",
                          [{"name": "pagina", "in": "query", "schema": {"type": "integer", "minimum": 1}}]),
        "/adviseurs/inloggen": post("sign in with the advisor token"),
        "/adviseurs/intakes/{intake_id}": {**get("one request with contact details (the read is logged)",
                                                 path_id("intake_id")), **post("record what happened", path_id("intake_id"))},
        "/uitloggen": post("sign out of every session"),
    }


@functools.cache
def document() -> dict:
    _, defs = models_json_schema(
        [(m, "validation") for m in (CourseInput, NewProvider, SearchRequest, FundingSchemeInput, NewIntake, NewTeam,
                                     NewAdvisor, NewAnalyst, NewStep, NewWebhook, LeadEmail, NewSubscription, Click,
                                     NewOoapiEndpoint)]
        + [(m, "serialization") for m in (Course, SearchResponse, FundingScheme)],
        ref_template="#/components/schemas/{model}",
    )
    schemas = {**defs["$defs"], "Problem": PROBLEM}
    search_params = [
        {"name": name, "in": "query", "required": False, "schema": prop,
         **({"style": "form", "explode": True} if prop.get("type") == "array" else {})}
        for name, prop in SearchRequest.model_json_schema()["properties"].items()
    ]
    return _with_common_answers({
        "openapi": "3.1.0",
        "info": {"title": "Scholingsalliantie API", "version": "1.0.0",
                 "description": "Course offer, search and intake for lifelong learning in the Netherlands."},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "admin_token": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN"},
                "provider_key": {"type": "http", "scheme": "bearer", "description": "a provider's API key"},
                "advisor_token": {"type": "http", "scheme": "bearer", "description": "an advisor's token (adv_...)"},
                "analyst_token": {"type": "http", "scheme": "bearer", "description": "an analyst's token (ana_...)"},
            },
        },
        "paths": {
            "/health": {"get": {"summary": "Health of every service",
                                "responses": {"200": {"description": "all services answer"},
                                              "503": {"description": "a service is unavailable"}}}},
            "/asyncapi.json": {"get": {"summary": "The AsyncAPI 3.0 document of the events (RabbitMQ exchanges "
                                                  "`<source>.events`) a subscriber can bind to",
                                       "responses": {"200": {"description": "AsyncAPI document",
                                                             "content": _json({"type": "object"})}}}},
            "/api/v1/providers": {
                "post": {"summary": "Register a provider (returns its API key once)", "security": ADMIN,
                         "requestBody": {"required": True, "content": _json(_ref("NewProvider"))},
                         "responses": _responses(201, {"type": "object"}, 400, 401, 403, 422)},
                "get": {"summary": "List providers", "security": ADMIN,
                        "responses": _responses(200, {"type": "object"}, 401, 403)},
            },
            "/api/v1/providers/me/courses": {
                "get": {"summary": "The calling provider's courses", "security": PROVIDER,
                        "parameters": [
                            {"name": "page", "in": "query",
                             "schema": {"type": "integer", "minimum": 1, "maximum": LIST_MAX_PAGE, "default": 1}},
                            {"name": "page_size", "in": "query",
                             "schema": {"type": "integer", "minimum": 1, "maximum": LIST_MAX_PAGE_SIZE, "default": 20}},
                            {"name": "status", "in": "query", "schema": {"enum": list(get_args(CourseStatus))}},
                            {"name": "external_id", "in": "query", "schema": {"type": "string"},
                             "description": "the provider's own id of a course: find the id to PUT to"}],
                        "responses": _responses(200, _page("Course"), 401, 403, 422)}},
            "/api/v1/providers/me/api-key": {
                "post": {"summary": "Rotate the calling provider's API key (the old one stops working)",
                         "security": PROVIDER, "responses": _responses(201, {"type": "object"}, 401, 403)}},
            "/api/v1/providers/me/ooapi": {
                "put": {"summary": "Register the provider's OOAPI v5 endpoint to sync courses from (nightly by "
                                   "default, and on demand). The authorization header is stored encrypted and "
                                   "never shown back: left out, the stored one stays; null removes it",
                        "security": PROVIDER, "requestBody": {"required": True, "content": _json(_ref("NewOoapiEndpoint"))},
                        "responses": _responses(200, OOAPI_ENDPOINT, 400, 401, 403, 422)},
                "get": {"summary": "The registered OOAPI endpoint, its schedule and its last sync",
                        "security": PROVIDER, "responses": _responses(200, OOAPI_ENDPOINT, 401, 403, 404)},
                "delete": {"summary": "Stop syncing from it (a sync under way stops and withdraws nothing)",
                           "security": PROVIDER,
                           "responses": {**_responses(204, {}, 401, 403, 404), "204": {"description": "removed"}}}},
            "/api/v1/providers/me/ooapi-sync": {
                "post": {"summary": "Sync from the registered OOAPI endpoint now: a full sync (a course gone from the "
                                    "endpoint is withdrawn; a failed sync withdraws nothing). 202 with the import to "
                                    "poll (Location); one already asked for or under way is that one",
                         "security": PROVIDER,
                         "responses": {**_responses(202, {"type": "object", "properties": {
                             "import_id": {"type": "string"}, "status": {"const": "running"},
                             "import": {"type": "string"}}}, 401, 403, 404)}}},
            "/api/v1/providers/{provider_id}/api-key": {
                "parameters": PROVIDER_ID,
                "post": {"summary": "Issue a new API key for a provider", "security": ADMIN,
                         "responses": _responses(201, {"type": "object"}, 401, 403, 404)},
                "delete": {"summary": "Revoke a provider's API key", "security": ADMIN,
                           "responses": _responses(200, {"type": "object"}, 401, 403, 404)}},
            "/api/v1/courses/import": {
                "post": {"summary": "Bulk import (upsert by external_id; mode=full-sync withdraws the published courses missing from the file that nothing changed while it ran)",
                         "security": PROVIDER,
                         "parameters": [
                             {"name": "format", "in": "query", "schema": {"enum": ["ndjson", "csv", "ooapi"]},
                              "description": "default from Content-Type: application/x-ndjson, text/csv, application/json"},
                             {"name": "mode", "in": "query", "schema": {"enum": list(IMPORT_MODES), "default": UPSERT}},
                             {"name": "higher_education", "in": "query", "schema": {"enum": ["hbo", "wo"], "default": "hbo"},
                              "description": "format=ooapi only: what a bachelor or master is when the course's educationSpecification gives no sector"}],
                         "requestBody": {"required": True, "content": {
                             "application/x-ndjson": {"schema": {"type": "string"}},
                             "text/csv": {"schema": {"type": "string", "description": "a header row, then an offering a row; cells separated by ',' or (a Dutch spreadsheet's export) ';' or tabs; dates ISO or d-m-yyyy; UTF-8 unless a charset is given (charset=windows-1252 for Excel's plain CSV)"}},
                             "application/json": {"schema": {"type": "object", "description": "OOAPI v5 courses response"}}}},
                         "responses": _responses(200, IMPORT_REPORT, 401, 403, 422)}},
            "/api/v1/courses/imports": {
                "get": {"summary": "The provider's imports, newest first (progress of running ones)",
                        "security": PROVIDER, "responses": _responses(200, {"type": "object"}, 401, 403)}},
            "/api/v1/courses/imports/{import_id}": {
                "parameters": [{"name": "import_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"summary": "One import: accepted and rejected so far with the rejected items (the first 1,000), "
                                   "status (a failed one says why: failure); an OOAPI sync is one too", "security": PROVIDER,
                        "responses": _responses(200, {"type": "object"}, 401, 403, 404)}},
            "/api/v1/funding-schemes": {
                "post": {"summary": "Publish a funding scheme (admin or an oo-fonds provider)",
                         "security": ADMIN + PROVIDER,
                         "requestBody": {"required": True, "content": _json(_ref("FundingSchemeInput"))},
                         "responses": _responses(201, _ref("FundingScheme"), 400, 401, 403, 409, 422)},
                "get": {"summary": "Funding schemes valid today",
                        "responses": _responses(200, _page("FundingScheme"))}},
            "/api/v1/funding-schemes/{code}": {
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"summary": "A funding scheme, valid today or not (ETag: its version)",
                        "responses": _responses(200, _ref("FundingScheme"), 404)},
                "put": {"summary": "Replace a funding scheme (its publisher or an admin), e.g. end it early with "
                                   "valid_until; If-Match carries the version you changed; the code stays",
                        "security": ADMIN + PROVIDER,
                        "parameters": [{"name": "If-Match", "in": "header", "required": True,
                                        "schema": {"type": "string"}}],
                        "requestBody": {"required": True, "content": _json(_ref("FundingSchemeInput"))},
                        "responses": _responses(200, _ref("FundingScheme"), 400, 401, 403, 404, 412, 422, 428)}},
            "/api/v1/courses": {
                "post": {"summary": "Create a course (add \"publish\": true to publish it at once)",
                         "security": PROVIDER,
                         "requestBody": {"required": True, "content": _json(_ref("CourseInput"))},
                         "responses": _responses(201, _ref("Course"), 400, 401, 403, 409, 422)}},
            "/api/v1/courses/{course_id}": {
                "parameters": COURSE_ID,
                "get": {"summary": "A course (drafts only for their provider). With situation: also net_price_from, "
                                   "what may remain to pay after the fitting valid scheme that pays the most (null "
                                   "when none names an amount)",
                        "parameters": [{"name": "situation", "in": "query", "required": False,
                                        "schema": {"enum": ["eigen-werk", "andere-sector", "werkgever", "werkzoekend",
                                                            "zelfstandige"]}}],
                        "responses": _responses(200, {"allOf": [_ref("Course"), {"type": "object", "properties": {
                            "net_price_from": {"anyOf": [_ref("NetPrice"), {"type": "null"}]}}}]}, 401, 404, 422)},
                "put": {"summary": "Replace a course; If-Match carries the ETag you read (\"3\", or the bare "
                                   "version). What a GET gave may be sent back: the fields the platform sets "
                                   "(id, version, status, provider, quality, created_at, updated_at, publish) are "
                                   "ignored, another unknown field is a 422. Another provider's course is a "
                                   "403/404 whatever the body",
                        "security": PROVIDER,
                        "parameters": [{"name": "If-Match", "in": "header", "required": True,
                                        "schema": {"type": "string", "example": "\"3\""}}],
                        "requestBody": {"required": True, "content": _json(_ref("CourseInput"))},
                        "responses": _responses(200, _ref("Course"), 400, 401, 403, 404, 412, 422, 428)},
                "delete": {"summary": "Delete a draft (its external_id is free again); a course that was "
                                      "published is a 409: withdraw it instead",
                           "security": PROVIDER,
                           "responses": {**_responses(204, {}, 401, 403, 404, 409), "204": {"description": "deleted"}}}},
            "/api/v1/courses/{course_id}/publish": {
                "parameters": COURSE_ID,
                "post": {"summary": "Publish a course", "security": PROVIDER,
                         "responses": _responses(200, _ref("Course"), 401, 403, 404, 409)}},
            "/api/v1/courses/{course_id}/withdraw": {
                "parameters": COURSE_ID,
                "post": {"summary": "Withdraw a course", "security": PROVIDER,
                         "responses": _responses(200, _ref("Course"), 401, 403, 404, 409)}},
            "/api/v1/courses/{course_id}/history": {
                "parameters": COURSE_ID,
                "get": {"summary": "Who changed what, when", "security": PROVIDER,
                        "responses": _responses(200, {"type": "object"}, 401, 403, 404)}},
            **intake_paths(),
            **notify_paths(),
            **analytics_paths(),
            **pages_paths(),
            "/api/v1/search": {
                "get": {"summary": "Search published courses", "parameters": search_params,
                        "responses": _responses(200, _ref("SearchResponse"), 422)}},
            "/api/v1/suggest": {
                "get": {"summary": "Complete a word from course titles and keywords (typo-tolerant)",
                        "parameters": [
                            {"name": "q", "in": "query", "required": True,
                             "schema": {"type": "string", "minLength": 2, "maxLength": 60}},
                            {"name": "limit", "in": "query", "required": False,
                             "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 8}}],
                        "responses": _responses(200, {
                            "type": "object", "required": ["suggestions"],
                            "properties": {"suggestions": {"type": "array", "items": {"type": "string"}}}}, 422)}},
        },
    })


PAGE_ERROR = {"content": {"text/html": {"schema": {"type": "string"}}}}
NUL_IN_QUERY = "the query holds a value no table can hold (a NUL character): nothing was done"
TOO_LARGE = "the body is larger than MAX_BODY_BYTES (1 MiB by default): refused before it was read"
TOO_SLOW = "the head and body did not arrive within REQUEST_DEADLINE_SECONDS (30 by default)"
NOT_JSON = "the body is not sent as JSON (Content-Type: application/json)"


def _with_common_answers(document: dict) -> dict:
    """What every route can answer besides its own (services/gateway/http.py ``route``): an API
    route (and a document) a 422 problem for a NUL character in the query; a page an error page
    for that, for an id that leads nowhere and, a form, for a missing CSRF token; and where a
    body is read whole (not an import's), a 413 for one over the limit."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue            # the path's own parameters
            answers = operation["responses"] = dict(operation["responses"])    # a page's may be shared
            reads_body = "requestBody" in operation or method == "post"
            too_large = reads_body and not path.endswith(bodies.STREAMED_PATHS)
            if path.startswith("/api/") or path in ("/health", "/openapi.json", "/asyncapi.json"):
                problem = {"content": {"application/problem+json": {"schema": _ref("Problem")}}}
                answers.setdefault("422", {"description": NUL_IN_QUERY, **problem})
                if too_large:
                    answers.setdefault("413", {"description": TOO_LARGE, **problem})
                    answers.setdefault("408", {"description": TOO_SLOW, **problem})
                if "application/json" in operation.get("requestBody", {}).get("content", {}):
                    answers.setdefault("415", {"description": NOT_JSON, **problem})
            else:                   # the pages and their files
                answers.setdefault("422", {"description": NUL_IN_QUERY, **PAGE_ERROR})
                answers.setdefault("404", {"description": "nothing here (an id no one has, or not yours)", **PAGE_ERROR})
                if method == "post":
                    answers.setdefault("403", {"description": "the form's CSRF token is missing or wrong", **PAGE_ERROR})
                if too_large:
                    answers.setdefault("413", {"description": TOO_LARGE, **PAGE_ERROR})
                    answers.setdefault("408", {"description": TOO_SLOW, **PAGE_ERROR})
    return document
