"""Catalogue routes: providers and their keys, OOAPI endpoints, courses, bulk imports and funding
schemes, answered by the catalogue service."""
from __future__ import annotations

from typing import get_args

from werkzeug.wrappers import Response

from services.chassis.errors import Forbidden
from services.contracts.courses import Course, CourseInput, CourseStatus, FundingScheme, FundingSchemeInput, Situation
from services.contracts.catalogue import IMPORT_MODES, UPSERT, NewOoapiEndpoint, NewProvider
from services.gateway.demand import record_view
from services.gateway.http import (expected_version, json_response, paging, read_json, read_model,
                                   versioned_response, whole_list)
from services.gateway.import_upload import Upload, import_request
from services.gateway.problems import Problem
from services.gateway.routing import PAGING, Routes, query
from services.gateway.schemas import OBJECT, list_page, ref

COURSE_STATUSES = get_args(CourseStatus)
OOAPI_ENDPOINT = {"type": "object", "properties": {
    "base_url": {"type": "string"}, "has_authorization": {"type": "boolean"},
    "schedule": {"enum": ["nightly", "manual"]}, "higher_education": {"enum": ["hbo", "wo"]},
    "next_sync_at": {"type": ["string", "null"], "format": "date-time"},
    "sync_under_way": {"type": ["string", "null"], "description": "the import id of a sync asked for or running"},
    "last_sync": {"type": ["object", "null"]}}}
IMPORT_REPORT = {"type": "object", "properties": {
    "import_id": {"type": "string"}, "accepted": {"type": "integer"},
    "rejected": {"type": "array", "items": {"type": "object", "properties": {
        "line": {"type": "integer"}, "external_id": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}}}},
        "description": "the first 1,000 rejected lines"},
    "rejected_total": {"type": "integer", "description": "every rejected line, counted"},
    "withdrawn": {"type": "array", "items": {"type": "string"}}}}
IMPORT_BODY = {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string"}},
    "text/csv": {"schema": {"type": "string", "description": "a header row, then an offering a row; cells separated "
                            "by ',' or (a Dutch spreadsheet's export) ';' or tabs; dates ISO or d-m-yyyy; UTF-8 unless "
                            "a charset is given (charset=windows-1252 for Excel's plain CSV)"}},
    "application/json": {"schema": {"type": "object", "description": "OOAPI v5 courses response"}}}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"}}

ROUTES = Routes()

# providers


@ROUTES("POST", "/api/v1/providers", "Register a provider (returns its API key once)", roles=("admin",),
        body=NewProvider, answer=OBJECT, status=201)
def create_provider(gw, request, me):
    return json_response(gw.catalogue.register_provider(read_model(request, NewProvider)), 201)


@ROUTES("GET", "/api/v1/providers", "List providers", roles=("admin",), answer=OBJECT)
def list_providers(gw, request, me):
    return whole_list(gw.catalogue.list_providers())


@ROUTES("POST", "/api/v1/providers/me/api-key", "Rotate the calling provider's API key (the old one stops working)",
        roles=("provider",), answer=OBJECT, status=201)
def rotate_own_api_key(gw, request, me):
    return json_response(gw.catalogue.rotate_api_key(me.id, me.actor), 201)


@ROUTES("POST", "/api/v1/providers/<provider_id>/api-key", "Issue a new API key for a provider", roles=("admin",),
        answer=OBJECT, status=201, errors=(404,))
def rotate_api_key(gw, request, provider_id, me):
    return json_response(gw.catalogue.rotate_api_key(provider_id), 201)


@ROUTES("DELETE", "/api/v1/providers/<provider_id>/api-key", "Revoke a provider's API key", roles=("admin",),
        answer=OBJECT, errors=(404,))
def revoke_api_key(gw, request, provider_id, me):
    return json_response(gw.catalogue.revoke_api_key(provider_id))


@ROUTES("PUT", "/api/v1/providers/me/ooapi",
        "Register the provider's OOAPI v5 endpoint to sync courses from (nightly by default, and on demand). The "
        "authorization header is stored encrypted and never shown back: left out, the stored one stays; null "
        "removes it", roles=("provider",), body=NewOoapiEndpoint, answer=OOAPI_ENDPOINT)
def set_ooapi_endpoint(gw, request, me):
    return json_response(gw.catalogue.set_ooapi_endpoint(me.id, read_json(request)))


@ROUTES("GET", "/api/v1/providers/me/ooapi", "The registered OOAPI endpoint, its schedule and its last sync",
        roles=("provider",), answer=OOAPI_ENDPOINT, errors=(404,))
def get_ooapi_endpoint(gw, request, me):
    return json_response(gw.catalogue.get_ooapi_endpoint(me.id))


@ROUTES("DELETE", "/api/v1/providers/me/ooapi", "Stop syncing from it (a sync under way stops and withdraws nothing)",
        roles=("provider",), status=204, errors=(404,), responses={"204": {"description": "removed"}})
def delete_ooapi_endpoint(gw, request, me):
    gw.catalogue.delete_ooapi_endpoint(me.id)
    return Response(status=204)


@ROUTES("POST", "/api/v1/providers/me/ooapi-sync",
        "Sync from the registered OOAPI endpoint now: a full sync (a course gone from the endpoint is withdrawn; a "
        "failed sync withdraws nothing). 202 with the import to poll (Location); one already asked for or under "
        "way is that one", roles=("provider",), status=202, errors=(404,),
        answer={"type": "object", "properties": {"import_id": {"type": "string"}, "status": {"const": "running"},
                                                 "import": {"type": "string"}}})
def request_ooapi_sync(gw, request, me):
    sync = gw.catalogue.request_ooapi_sync(me.id)
    location = f"/api/v1/courses/imports/{sync['import_id']}"
    return json_response({**sync, "import": location}, 202, {"Location": location})


@ROUTES("GET", "/api/v1/providers/me/courses", "The calling provider's courses", roles=("provider",),
        params=(*PAGING, query("status", {"enum": list(COURSE_STATUSES)}),
                query("external_id", {"type": "string"}, "the provider's own id of a course: find the id to PUT to")),
        answer=list_page("Course"), errors=(422,))
def my_courses(gw, request, me):
    page, page_size = paging(request)
    status, external_id = request.args.get("status"), request.args.get("external_id")
    if status is not None and status not in COURSE_STATUSES:
        raise Problem(422, "Validation failed", f"status is one of {', '.join(COURSE_STATUSES)}",
                      [{"field": "status", "message": f"not one of {', '.join(COURSE_STATUSES)}"}])
    return json_response(gw.catalogue.list_provider_courses(me.id, page, page_size, status, external_id))


# courses

@ROUTES("POST", "/api/v1/courses", "Create a course (add \"publish\": true to publish it at once)",
        roles=("provider",), body=CourseInput, answer=Course, status=201, errors=(409,))
def create_course(gw, request, me):
    body = read_json(request)
    publish = body.pop("publish", False)
    if not isinstance(publish, bool):
        raise Problem(422, "Validation failed", "publish must be true or false",
                      [{"field": "publish", "message": "must be a boolean"}])
    course = gw.catalogue.create_course(me.id, body, publish, me.actor)
    return versioned_response(course, 201, {"Location": f"/api/v1/courses/{course['id']}"})


@ROUTES("POST", "/api/v1/courses/import",
        "Bulk import (upsert by external_id; mode=full-sync withdraws the published courses missing from the file "
        "that nothing changed while it ran)", roles=("provider",),
        params=(query("format", {"enum": ["ndjson", "csv", "ooapi"]},
                      "default from Content-Type: application/x-ndjson, text/csv, application/json"),
                query("mode", {"enum": list(IMPORT_MODES), "default": UPSERT}),
                query("higher_education", {"enum": ["hbo", "wo"], "default": "hbo"},
                      "format=ooapi only: what a bachelor or master is when the course's educationSpecification "
                      "gives no sector")),
        body=IMPORT_BODY, answer=IMPORT_REPORT, errors=(422,))
def import_courses(gw, request, me):
    """Streams the body in batches to the catalogue; valid lines are stored even when others fail."""
    wanted = import_request(request)
    with gw.upload_slot():
        import_id = gw.catalogue.start_import(me.id, wanted.fmt, wanted.mode, me.actor)
        upload = Upload(gw.catalogue, me.id, import_id, gw.config["IMPORT_HEARTBEAT_SECONDS"])
        return json_response(upload.run(request.stream, wanted))


@ROUTES("GET", "/api/v1/courses/imports", "The provider's imports, newest first (progress of running ones)",
        roles=("provider",), answer=OBJECT)
def list_imports(gw, request, me):
    return whole_list(gw.catalogue.list_imports(me.id))


@ROUTES("GET", "/api/v1/courses/imports/<import_id>",
        "One import: accepted and rejected so far with the rejected items (the first 1,000), status (a failed one "
        "says why: failure); an OOAPI sync is one too", roles=("provider",), answer=OBJECT, errors=(404,))
def get_import(gw, request, import_id, me):
    return json_response(gw.catalogue.list_imports(me.id, import_id)[0])


@ROUTES("GET", "/api/v1/courses/<course_id>",
        "A course (drafts only for their provider). With situation: also net_price_from, what may remain to pay "
        "after the fitting valid scheme that pays the most (null when none names an amount)",
        params=({"name": "situation", "in": "query", "required": False, "schema": {"enum": list(get_args(Situation))}},),
        answer={"allOf": [ref("Course"), {"type": "object", "properties": {
            "net_price_from": {"anyOf": [ref("NetPrice"), {"type": "null"}]}}}]}, errors=(401, 404, 422))
def get_course(gw, request, course_id):
    me = gw.principal(request)
    situation = request.args.get("situation")     # with it: what may remain to pay (net_price_from)
    course = gw.catalogue.get_course(course_id, me.id if me else None,
                     *((situation,) if situation is not None else ()))
    record_view(gw, course, request.args.get("search_id"), me)
    return versioned_response(course)


@ROUTES("PUT", "/api/v1/courses/<course_id>",
        "Replace a course; If-Match carries the ETag you read (\"3\", or the bare version). What a GET gave may be "
        "sent back: the fields the platform sets (id, version, status, provider, quality, created_at, updated_at, "
        "publish) are ignored, another unknown field is a 422. Another provider's course is a 403/404 whatever "
        "the body", roles=("provider",), params=({**IF_MATCH, "schema": {"type": "string", "example": "\"3\""}},),
        body=CourseInput, answer=Course, errors=(404, 412, 428))
def update_course(gw, request, course_id, me):
    version = expected_version(request, "course")
    try:
        body = read_json(request)
    except Problem:     # whose course it is comes first: another provider's is a 403/404 whatever its body
        gw.catalogue.update_course(me.id, course_id, version, None)
        raise
    return versioned_response(gw.catalogue.update_course(me.id, course_id, version, body, me.actor))


@ROUTES("POST", "/api/v1/courses/<course_id>/publish", "Publish a course", roles=("provider",), answer=Course,
        errors=(404, 409))
def publish_course(gw, request, course_id, me):
    return json_response(gw.catalogue.publish_course(me.id, course_id, me.actor))


@ROUTES("POST", "/api/v1/courses/<course_id>/withdraw", "Withdraw a course", roles=("provider",), answer=Course,
        errors=(404, 409))
def withdraw_course(gw, request, course_id, me):
    return json_response(gw.catalogue.withdraw_course(me.id, course_id, me.actor))


@ROUTES("DELETE", "/api/v1/courses/<course_id>",
        "Delete a draft (its external_id is free again); a course that was published is a 409: withdraw it instead",
        roles=("provider",), status=204, errors=(404, 409), responses={"204": {"description": "deleted"}})
def delete_course(gw, request, course_id, me):
    gw.catalogue.delete_course(me.id, course_id)
    return Response(status=204)


@ROUTES("GET", "/api/v1/courses/<course_id>/history", "Who changed what, when", roles=("provider",), answer=OBJECT,
        errors=(404,))
def course_history(gw, request, course_id, me):
    return whole_list(gw.catalogue.course_history(me.id, course_id))


# funding schemes

@ROUTES("POST", "/api/v1/funding-schemes", "Publish a funding scheme (admin or an oo-fonds provider)",
        roles=("admin", "provider"), body=FundingSchemeInput, answer=FundingScheme, status=201, errors=(409,))
def publish_funding_scheme(gw, request, me):
    if me.role == "provider" and me.kind != "oo-fonds":
        raise Forbidden("only an admin or an O&O-fonds publishes funding schemes")
    return json_response(gw.catalogue.publish_funding_scheme(me.actor, read_json(request)), 201)


@ROUTES("GET", "/api/v1/funding-schemes", "Funding schemes valid today", answer=list_page("FundingScheme"))
def list_funding_schemes(gw, request):
    return whole_list(gw.catalogue.list_funding_schemes())


@ROUTES("GET", "/api/v1/funding-schemes/<code>", "A funding scheme, valid today or not (ETag: its version)",
        answer=FundingScheme, errors=(404,))
def get_funding_scheme(gw, request, code):
    return versioned_response(gw.catalogue.get_funding_scheme(code))


@ROUTES("PUT", "/api/v1/funding-schemes/<code>",
        "Replace a funding scheme (its publisher or an admin), e.g. end it early with valid_until; If-Match "
        "carries the version you changed; the code stays", roles=("admin", "provider"), params=(IF_MATCH,),
        body=FundingSchemeInput, answer=FundingScheme, errors=(404, 412, 428))
def change_funding_scheme(gw, request, code, me):
    version = expected_version(request, "funding scheme")
    return versioned_response(gw.catalogue.change_funding_scheme(me.actor, code, version, read_json(request)))
