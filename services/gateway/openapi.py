"""The OpenAPI 3.1 document of the public HTTP contract, with schemas from the shared models."""
from __future__ import annotations

import functools

from pydantic.json_schema import models_json_schema

from services.contracts.courses import Course, CourseInput
from services.contracts.rpc import NewProvider, SearchRequest, SearchResponse

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
    return out


def _page(item: str) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"}}}


COURSE_ID = [{"name": "course_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]
PROVIDER = [{"provider_key": []}]
ADMIN = [{"admin_token": []}]


@functools.cache
def document() -> dict:
    _, defs = models_json_schema(
        [(m, "validation") for m in (CourseInput, NewProvider, SearchRequest)]
        + [(m, "serialization") for m in (Course, SearchResponse)],
        ref_template="#/components/schemas/{model}",
    )
    schemas = {**defs["$defs"], "Problem": PROBLEM}
    search_params = [
        {"name": name, "in": "query", "required": False, "schema": prop,
         **({"style": "form", "explode": True} if prop.get("type") == "array" else {})}
        for name, prop in SearchRequest.model_json_schema()["properties"].items()
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Scholingsalliantie API", "version": "1.0.0",
                 "description": "Course offer, search and intake for lifelong learning in the Netherlands."},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "admin_token": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN"},
                "provider_key": {"type": "http", "scheme": "bearer", "description": "a provider's API key"},
            },
        },
        "paths": {
            "/health": {"get": {"summary": "Health of every service",
                                "responses": {"200": {"description": "all services answer"},
                                              "503": {"description": "a service is unavailable"}}}},
            "/api/v1/providers": {
                "post": {"summary": "Register a provider (returns its API key once)", "security": ADMIN,
                         "requestBody": {"required": True, "content": _json(_ref("NewProvider"))},
                         "responses": _responses(201, {"type": "object"}, 400, 401, 403, 422)},
                "get": {"summary": "List providers", "security": ADMIN,
                        "responses": _responses(200, {"type": "object"}, 401, 403)},
            },
            "/api/v1/providers/me/courses": {
                "get": {"summary": "The calling provider's courses", "security": PROVIDER,
                        "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}},
                                       {"name": "page_size", "in": "query", "schema": {"type": "integer"}}],
                        "responses": _responses(200, _page("Course"), 401, 403, 422)}},
            "/api/v1/courses": {
                "post": {"summary": "Create a course (add \"publish\": true to publish it at once)",
                         "security": PROVIDER,
                         "requestBody": {"required": True, "content": _json(_ref("CourseInput"))},
                         "responses": _responses(201, _ref("Course"), 400, 401, 403, 409, 422)}},
            "/api/v1/courses/{course_id}": {
                "parameters": COURSE_ID,
                "get": {"summary": "A course (drafts only for their provider)",
                        "responses": _responses(200, _ref("Course"), 401, 404)},
                "put": {"summary": "Replace a course; If-Match carries the version you changed",
                        "security": PROVIDER,
                        "parameters": [{"name": "If-Match", "in": "header", "required": True,
                                        "schema": {"type": "string"}}],
                        "requestBody": {"required": True, "content": _json(_ref("CourseInput"))},
                        "responses": _responses(200, _ref("Course"), 400, 401, 403, 404, 412, 422, 428)}},
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
            "/api/v1/search": {
                "get": {"summary": "Search published courses", "parameters": search_params,
                        "responses": _responses(200, _ref("SearchResponse"), 422)}},
        },
    }
