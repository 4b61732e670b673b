"""The OpenAPI 3.1 document of the public HTTP contract, written from the route declarations
(``routing.Route``: ``api/`` and ``web/``) and the shared models' schemas."""
from __future__ import annotations

import functools
import re

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.gateway import bodies
from services.gateway.http import API_VERSION
from services.gateway.routing import UUID_PATH_VALUES, Route, params_of
from services.gateway.schemas import HTML, OBJECT, PROBLEM, ref as _ref

ROLES = {"admin": "admin_token", "provider": "provider_key", "advisor": "advisor_token", "analyst": "analyst_token"}
SECURITY_SCHEMES = {
    "admin_token": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN"},
    "provider_key": {"type": "http", "scheme": "bearer", "description": "a provider's API key"},
    "advisor_token": {"type": "http", "scheme": "bearer", "description": "an advisor's token (adv_...)"},
    "analyst_token": {"type": "http", "scheme": "bearer", "description": "an analyst's token (ana_...)"},
}
PROBLEM_CONTENT = {"application/problem+json": {"schema": _ref("Problem")}}
RETRY_AFTER = {"schema": {"type": "integer"}}
# what every /api route can answer besides its own
API_ANSWERS = {
    # a client over its rate limit (services/gateway/limits.py)
    "429": {"description": "too many requests from this client",
            "headers": {"Retry-After": {"description": "seconds until a request is accepted again", **RETRY_AFTER}},
            "content": PROBLEM_CONTENT},
    # every route asks a service: while it (or its database) cannot answer
    "503": {"description": "a service or its database is away for a moment: try again after Retry-After",
            "headers": {"Retry-After": {"description": "seconds to wait", **RETRY_AFTER}}, "content": PROBLEM_CONTENT},
}
VERSION_HEADER = {"API-Version": {"$ref": "#/components/headers/API-Version"}}
FORM_ANSWERS = {"303": {"description": "done: on to the next page"},
                "400": {"description": "the form again, with its errors beside the fields"},
                "403": {"description": "the form's CSRF token is missing or wrong"}}


def document(config: dict) -> dict:
    """The OpenAPI document of the gateway running with ``config``: its PUBLIC_BASE_URL is the
    one server and the contact's page, API_CONTACT_NAME and API_CONTACT_EMAIL who answers."""
    return _document(config["PUBLIC_BASE_URL"], config["API_CONTACT_NAME"], config["API_CONTACT_EMAIL"])


@functools.cache
def _document(base_url: str, contact_name: str, contact_email: str) -> dict:
    from services.gateway.service import ROUTES       # the routes import this module (``/openapi.json``)
    routes = [r for r in ROUTES if r.documented]
    paths: dict = {}
    for declared in routes:
        item = paths.setdefault(re.sub(r"<(\w+)>", r"{\1}", declared.path), {})
        if declared.path_names:
            item["parameters"] = [_path_value(name) for name in declared.path_names]
        item[declared.method.lower()] = _operation(declared)
    return _with_common_answers({
        "openapi": "3.1.0",
        "info": {"title": "Scholingsalliantie API", "version": API_VERSION,
                 "description": "Course offer, search and intake for lifelong learning in the Netherlands.",
                 "contact": {"name": contact_name, "url": base_url, "email": contact_email}},
        "servers": [{"url": base_url, "description": "this deployment; the major version is in each path (/api/v1)"}],
        "components": {"schemas": {**_model_schemas(routes), "Problem": PROBLEM}, "securitySchemes": SECURITY_SCHEMES,
                       "headers": {"API-Version": {"description": "the version of this API (SemVer) that answered",
                                                   "schema": {"type": "string", "example": API_VERSION}}}},
        "paths": paths,
    })


def _operation(declared: Route) -> dict:
    operation = {"summary": declared.summary}
    if declared.kind in ("page", "form"):
        operation["summary"] = f"Page{' form' if declared.kind == 'form' else ''}: {declared.summary}"
    if declared.roles:
        operation["security"] = [{ROLES[role]: []} for role in declared.roles]
    if params := params_of(declared):
        operation["parameters"] = list(params)
    if declared.body is not None:
        body = declared.body
        operation["requestBody"] = (body if isinstance(body, dict) and "content" in body else
                                    {"required": True, "content": {"application/json": {"schema": _schema(body)}}})
    operation["responses"] = {**_answers(declared), **declared.responses}
    return operation


def _answers(declared: Route) -> dict:
    if declared.kind == "page":
        return {"200": {"description": "a page", **HTML}}
    if declared.kind == "form":
        return {"200": {"description": "a page", **HTML}, **FORM_ANSWERS}
    if declared.kind == "document":
        return {}
    json_body = declared.body is not None and not (isinstance(declared.body, dict) and "content" in declared.body)
    errors = set(declared.errors) | ({401, 403} if declared.roles else set()) | ({400, 422} if json_body else set())
    ok = {"description": "OK"}
    if declared.status != 204:
        ok["content"] = {"application/json": {"schema": _schema(declared.answer or OBJECT)}}
    return {str(declared.status): ok,
            **{str(status): {"description": "error", "content": PROBLEM_CONTENT} for status in sorted(errors)},
            **API_ANSWERS}


def _schema(given) -> dict:
    return _ref(given.__name__) if isinstance(given, type) and issubclass(given, BaseModel) else given


def _path_value(name: str) -> dict:
    schema = {"type": "string", "format": "uuid"} if name in UUID_PATH_VALUES else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _model_schemas(routes: list[Route]) -> dict:
    """The schemas of the models the routes take (as validated) and answer (as serialised)."""
    def models(attribute: str) -> list[type[BaseModel]]:
        found = {getattr(r, attribute) for r in routes if isinstance(getattr(r, attribute), type)}
        return sorted(found, key=lambda m: m.__name__)
    _, defs = models_json_schema([(m, "validation") for m in models("body") + models("params")]
                                 + [(m, "serialization") for m in models("answer")],
                                 ref_template="#/components/schemas/{model}")
    return defs["$defs"]


PAGE_ERROR = HTML
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
                problem = {"content": PROBLEM_CONTENT}
                answers.setdefault("422", {"description": NUL_IN_QUERY, **problem})
                if too_large:
                    answers.setdefault("413", {"description": TOO_LARGE, **problem})
                    answers.setdefault("408", {"description": TOO_SLOW, **problem})
                if "application/json" in operation.get("requestBody", {}).get("content", {}):
                    answers.setdefault("415", {"description": NOT_JSON, **problem})
                for status, answer in answers.items():     # every answer says the contract's version
                    answers[status] = {**answer, "headers": {**answer.get("headers", {}), **VERSION_HEADER}}
            else:                   # the pages and their files
                answers.setdefault("422", {"description": NUL_IN_QUERY, **PAGE_ERROR})
                answers.setdefault("404", {"description": "nothing here (an id no one has, or not yours)", **PAGE_ERROR})
                if method == "post":
                    answers.setdefault("403", {"description": "the form's CSRF token is missing or wrong", **PAGE_ERROR})
                if too_large:
                    answers.setdefault("413", {"description": TOO_LARGE, **PAGE_ERROR})
                    answers.setdefault("408", {"description": TOO_SLOW, **PAGE_ERROR})
    return document


if __name__ == "__main__":      # `make lint-api`: the document as this environment's gateway serves it
    import json

    from services.chassis.settings import config_of
    from services.gateway.settings import Settings
    print(json.dumps(document(config_of(Settings)), indent=1))
