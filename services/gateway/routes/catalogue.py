"""Catalogue routes: providers and their keys, courses, bulk imports and funding schemes,
answered by the catalogue service."""
from __future__ import annotations

import logging
from typing import get_args

from werkzeug.wrappers import Response

from services.chassis.errors import Forbidden, ValidationFailed
from services.contracts.courses import CourseStatus
from services.gateway.auth import require
from services.gateway.http import (expected_version, json_response, paging, read_json, route, versioned_response,
                                   whole_list)
from services.gateway.import_upload import Upload, import_request
from services.gateway.problems import Problem

COURSE_STATUSES = get_args(CourseStatus)


log = logging.getLogger("services.gateway")


def record_view(calls, course: dict, search_id: str | None, me=None, strict: bool = True) -> None:
    """A read of a published course counts as a view for the demand data (from a search when
    ``search_id`` says which); its provider reading it does not. The course is answered even when
    the view cannot be recorded; a malformed ``search_id`` is a 422 (``strict``) or ignored."""
    own = me is not None and me.role == "provider" and me.id == course["provider"]["id"]
    if course.get("status") != "published" or own:
        return
    try:
        calls.call("search", "record_view", course["id"], search_id, timeout=2)
    except ValidationFailed:
        if strict:
            raise
    except Exception:
        log.warning("a view of course %s could not be recorded", course["id"], exc_info=True)


class CatalogueRoutes:
    # providers

    @route("POST", "/api/v1/providers")
    def create_provider(self, request):
        require(self.principal(request), "admin")
        return json_response(self.call("catalogue", "register_provider", read_json(request)), 201)

    @route("GET", "/api/v1/providers")
    def list_providers(self, request):
        require(self.principal(request), "admin")
        return whole_list(self.call("catalogue", "list_providers"))

    @route("POST", "/api/v1/providers/me/api-key")
    def rotate_own_api_key(self, request):
        me = require(self.principal(request), "provider")
        return json_response(self.call("catalogue", "rotate_api_key", me.id), 201)

    @route("POST", "/api/v1/providers/<provider_id>/api-key")
    def rotate_api_key(self, request, provider_id):
        require(self.principal(request), "admin")
        return json_response(self.call("catalogue", "rotate_api_key", provider_id), 201)

    @route("DELETE", "/api/v1/providers/<provider_id>/api-key")
    def revoke_api_key(self, request, provider_id):
        require(self.principal(request), "admin")
        return json_response(self.call("catalogue", "revoke_api_key", provider_id))

    @route("PUT", "/api/v1/providers/me/ooapi")
    def set_ooapi_endpoint(self, request):
        """Register (or change) the provider's OOAPI endpoint; its authorization is never shown back."""
        me = require(self.principal(request), "provider")
        return json_response(self.call("catalogue", "set_ooapi_endpoint", me.id, read_json(request)))

    @route("GET", "/api/v1/providers/me/ooapi")
    def get_ooapi_endpoint(self, request):
        me = require(self.principal(request), "provider")
        return json_response(self.call("catalogue", "get_ooapi_endpoint", me.id))

    @route("DELETE", "/api/v1/providers/me/ooapi")
    def delete_ooapi_endpoint(self, request):
        me = require(self.principal(request), "provider")
        self.call("catalogue", "delete_ooapi_endpoint", me.id)
        return Response(status=204)

    @route("POST", "/api/v1/providers/me/ooapi-sync")
    def request_ooapi_sync(self, request):
        """A sync of the registered endpoint now: 202 with its import (poll it for progress)."""
        me = require(self.principal(request), "provider")
        sync = self.call("catalogue", "request_ooapi_sync", me.id)
        location = f"/api/v1/courses/imports/{sync['import_id']}"
        return json_response({**sync, "import": location}, 202, {"Location": location})

    @route("GET", "/api/v1/providers/me/courses")
    def my_courses(self, request):
        """The provider's courses, paged; ``status`` (draft, published, withdrawn) and
        ``external_id`` (its own id: the course id to PUT to) narrow them."""
        me = require(self.principal(request), "provider")
        page, page_size = paging(request)
        status, external_id = request.args.get("status"), request.args.get("external_id")
        if status is not None and status not in COURSE_STATUSES:
            raise Problem(422, "Validation failed", f"status is one of {', '.join(COURSE_STATUSES)}",
                          [{"field": "status", "message": f"not one of {', '.join(COURSE_STATUSES)}"}])
        return json_response(self.call("catalogue", "list_provider_courses", me.id, page, page_size,
                                       status, external_id))

    # courses

    @route("POST", "/api/v1/courses")
    def create_course(self, request):
        me = require(self.principal(request), "provider")
        body = read_json(request)
        publish = body.pop("publish", False)
        if not isinstance(publish, bool):
            raise Problem(422, "Validation failed", "publish must be true or false",
                          [{"field": "publish", "message": "must be a boolean"}])
        course = self.call("catalogue", "create_course", me.id, body, publish)
        return versioned_response(course, 201, {"Location": f"/api/v1/courses/{course['id']}"})

    @route("POST", "/api/v1/courses/import")
    def import_courses(self, request):
        """Streams the body in batches to the catalogue; valid lines are stored even when others fail."""
        me = require(self.principal(request), "provider")
        wanted = import_request(request)
        with self.upload_slot():
            import_id = self.call("catalogue", "start_import", me.id, wanted.fmt, wanted.mode)
            upload = Upload(self, me.id, import_id, self.config["IMPORT_HEARTBEAT_SECONDS"])
            return json_response(upload.run(request.stream, wanted))

    @route("GET", "/api/v1/courses/imports")
    def list_imports(self, request):
        me = require(self.principal(request), "provider")
        return whole_list(self.call("catalogue", "list_imports", me.id))

    @route("GET", "/api/v1/courses/imports/<import_id>")
    def get_import(self, request, import_id):
        """Progress of a running import (accepted so far), or the totals of a finished one."""
        me = require(self.principal(request), "provider")
        return json_response(self.call("catalogue", "list_imports", me.id, import_id)[0])

    @route("GET", "/api/v1/courses/<course_id>")
    def get_course(self, request, course_id):
        me = self.principal(request)
        situation = request.args.get("situation")     # with it: what may remain to pay (net_price_from)
        course = self.call("catalogue", "get_course", course_id, me.id if me else None,
                           *((situation,) if situation is not None else ()))
        record_view(self, course, request.args.get("search_id"), me)
        return versioned_response(course)

    @route("PUT", "/api/v1/courses/<course_id>")
    def update_course(self, request, course_id):
        me = require(self.principal(request), "provider")
        version = expected_version(request, "course")
        try:
            body = read_json(request)
        except Problem:     # whose course it is comes first: another provider's is a 403/404 whatever its body
            self.call("catalogue", "update_course", me.id, course_id, version, None)
            raise
        return versioned_response(self.call("catalogue", "update_course", me.id, course_id, version, body))

    @route("POST", "/api/v1/courses/<course_id>/publish")
    def publish_course(self, request, course_id):
        me = require(self.principal(request), "provider")
        return json_response(self.call("catalogue", "publish_course", me.id, course_id))

    @route("POST", "/api/v1/courses/<course_id>/withdraw")
    def withdraw_course(self, request, course_id):
        me = require(self.principal(request), "provider")
        return json_response(self.call("catalogue", "withdraw_course", me.id, course_id))

    @route("DELETE", "/api/v1/courses/<course_id>")
    def delete_course(self, request, course_id):
        """Delete a draft (a published or withdrawn course is a 409: withdraw it)."""
        me = require(self.principal(request), "provider")
        self.call("catalogue", "delete_course", me.id, course_id)
        return Response(status=204)

    @route("GET", "/api/v1/courses/<course_id>/history")
    def course_history(self, request, course_id):
        me = require(self.principal(request), "provider")
        return whole_list(self.call("catalogue", "course_history", me.id, course_id))

    # funding schemes

    @route("POST", "/api/v1/funding-schemes")
    def publish_funding_scheme(self, request):
        me = require(self.principal(request), "admin", "provider")
        if me.role == "provider" and me.kind != "oo-fonds":
            raise Forbidden("only an admin or an O&O-fonds publishes funding schemes")
        return json_response(self.call("catalogue", "publish_funding_scheme", me.actor, read_json(request)), 201)

    @route("GET", "/api/v1/funding-schemes")
    def list_funding_schemes(self, request):
        return whole_list(self.call("catalogue", "list_funding_schemes"))

    @route("GET", "/api/v1/funding-schemes/<code>")
    def get_funding_scheme(self, request, code):
        return versioned_response(self.call("catalogue", "get_funding_scheme", code))

    @route("PUT", "/api/v1/funding-schemes/<code>")
    def change_funding_scheme(self, request, code):
        """Its publisher or an admin replaces a scheme (ends it early: ``valid_until``)."""
        me = require(self.principal(request), "admin", "provider")
        version = expected_version(request, "funding scheme")
        scheme = self.call("catalogue", "change_funding_scheme", me.actor, code, version, read_json(request))
        return versioned_response(scheme)
