"""The gateway: every public HTTP route on one screen. Each parses the request, checks who is
calling, makes one RPC call and renders JSON; errors become problem+json in one place."""
from __future__ import annotations

import functools
import itertools
import logging
import socket
from collections import deque
from typing import Literal, get_args

import eventlet
from eventlet.greenpool import GreenPool
from nameko.dependency_providers import Config
from nameko.exceptions import UnknownService
from nameko.constants import NON_PERSISTENT
from nameko.rpc import RpcProxy
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from pydantic import Field, field_validator
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Request, Response

from services.chassis import wire
from services.chassis.settings import ServiceSettings
from services.contracts import asyncapi
from services.gateway import bodies, imports, openapi
from services.chassis.errors import DomainError, Forbidden
from services.contracts.courses import CourseStatus
from services.contracts.rpc import FULL_SYNC, IMPORT_MODES, LIST_MAX_PAGE, LIST_MAX_PAGE_SIZE, UPSERT
from services.gateway.auth import Principal, authenticate, require
from services.gateway.limits import DEFAULT_BURST, DEFAULT_PER_MINUTE, RateLimits
from services.gateway.problems import Problem, from_exception, problem_response

log = logging.getLogger(__name__)

DEV_ADMIN_TOKEN = "dev-admin-token"
BACKENDS = ("catalogue", "search", "intake", "notify", "analytics")
REPEATABLE_SEARCH_PARAMS = {"level", "sector", "mode", "province"}
IMPORT_FORMATS = {"application/x-ndjson": "ndjson", "text/csv": "csv", "application/json": "ooapi"}
COURSE_STATUSES = get_args(CourseStatus)
MAX_VERSION = 2**31 - 1  # a course's or scheme's version is a PostgreSQL integer
IMPORT_BATCH = 500  # courses per RPC: big enough to amortise the round trip, small enough for memory
IMPORT_IN_FLIGHT = 2  # batches sent and not yet answered: the catalogue checks one while it stores another


class Settings(ServiceSettings):
    app_env: Literal["development", "test", "production"] = "development"
    admin_token: str | None = Field(default=None, validate_default=True, min_length=16)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    rpc_timeout_seconds: float = Field(default=30, gt=0)
    import_heartbeat_seconds: float = Field(
        default=60, gt=0, description="how often the gateway tells the catalogue it is still reading an import's body")
    rate_limit_per_minute: float = Field(default=DEFAULT_PER_MINUTE, ge=0,
                                         description="requests a client may send a minute (0: no limit)")
    rate_limit_burst: int = Field(default=DEFAULT_BURST, ge=1, description="requests a client may save up")

    @field_validator("admin_token")
    @classmethod
    def _admin_token(cls, value, info):
        if value is None and info.data.get("app_env") == "production":
            raise ValueError("must be set when APP_ENV=production")
        return value

    def nameko_config(self) -> dict:
        config = super().nameko_config()
        config["WEB_SERVER_ADDRESS"] = f"{self.gateway_host}:{self.gateway_port}"
        config["ADMIN_TOKEN"] = self.admin_token or DEV_ADMIN_TOKEN
        config["RPC_TIMEOUT_SECONDS"] = self.rpc_timeout_seconds
        config["IMPORT_HEARTBEAT_SECONDS"] = self.import_heartbeat_seconds
        config["RATE_LIMIT_PER_MINUTE"] = self.rate_limit_per_minute
        config["RATE_LIMIT_BURST"] = self.rate_limit_burst
        if self.admin_token is None:
            logging.getLogger("gateway").warning(
                "ADMIN_TOKEN is not set: the admin token is %r (development only)", DEV_ADMIN_TOKEN)
        return config


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    # as messages are written (orjson): a search answer (~20 hits with snippets and facets)
    # took the standard encoder a tenth of the gateway's time per request
    return Response(wire.encode(body), status=status, mimetype="application/json", headers=headers)


def versioned_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A course or funding scheme, with its version as the ETag a change sends back in If-Match."""
    return json_response(body, status, {**(headers or {}), "ETag": str(body["version"])})


def whole_list(items: list) -> Response:
    """A list answered whole, in the shape of a list page (API.md)."""
    return json_response({"items": items, "total": len(items), "page": 1, "page_size": len(items)})


def _import_failure(exc: Exception) -> str:
    """Why an import stopped mid-file, as its provider reads it when polling the import."""
    if isinstance(exc, Problem):        # a service that did not answer, a batch refused
        return f"{exc.title}: {exc.detail}"
    if isinstance(exc, DomainError):
        return f"the catalogue refused a batch: {exc.detail}"
    return f"the upload broke off before the end of the body ({type(exc).__name__}: {exc})"


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, but a path no route has (404) or a method its route does not take
    (405, with ``Allow``) is answered as problem+json like every other error, not with
    werkzeug's HTML page."""

    def __call__(self, environ, start_response):
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            headers = {"Allow": ", ".join(exc.valid_methods)} if isinstance(exc, MethodNotAllowed) else None
            response = problem_response(exc.code, exc.name, exc.description, headers=headers)
            return response(environ, start_response)
        request = Request(environ, shallow=True)     # as nameko's: the handler reads the body
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class NoDelayWebServer(WebServer):
    """nameko's web server with Nagle's algorithm off on every connection: a response written
    in more than one segment otherwise waits for the client's delayed ACK (~40 ms a request).
    Its app answers unknown paths and methods as problem+json."""

    def process_request(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)

    def get_wsgi_app(self):
        return ProblemWsgiApp(self)


class HttpEntrypoint(HttpRequestHandler):
    server = NoDelayWebServer()


http = HttpEntrypoint.decorator


def route(method: str, url: str):
    """A nameko http entrypoint whose errors are answered as problem+json."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request, **params):
            if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
                # eventlet decodes a chunked body but does not say so; werkzeug would then hand
                # the handler an empty stream (an upload streamed without Content-Length)
                request.environ["wsgi.input_terminated"] = True
            try:
                if url.startswith("/api/"):      # not /health and the API documents
                    self.rate_limit(request)
                if errs := bodies.uncarried_query(request.args):
                    raise Problem(422, "Validation failed", "the query holds values the platform cannot store", errs)
                if any(bodies.NUL in value for value in params.values()):     # no table holds such an id
                    raise Problem(404, "Not Found", "nothing has an id with a NUL character")
                return fn(self, request, **params)
            except Exception as exc:
                response = from_exception(exc)
                if response is None:
                    log.exception("unexpected error on %s %s", method, url)
                    response = problem_response(500, "Internal error", "an unexpected error occurred")
                return response

        return http(method, url)(wrapper)

    return decorator


def read_json(request) -> dict:
    try:
        body, suspect = bodies.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise Problem(400, "Malformed JSON", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Problem(400, "Malformed JSON", "the body must be a JSON object")
    if suspect and (errs := bodies.uncarried(body)):
        raise Problem(422, "Validation failed", "the body holds values the platform cannot store", errs)
    return body


def expected_version(request, what: str) -> int:
    """The version a change was made to (``If-Match``): a 428 without one."""
    if_match = request.headers.get("If-Match", "").strip().strip('"')
    if not if_match.isdigit():
        raise Problem(428, "Precondition required", f"send the {what} version you changed in If-Match",
                      [{"field": "If-Match", "message": "required: the current version number"}])
    if int(if_match) > MAX_VERSION:     # nothing gets there (and no message could carry it)
        raise Problem(412, "Precondition failed", f"version {if_match} is not the {what}'s version",
                      [{"field": "If-Match", "message": "not the current version number"}])
    return int(if_match)


class GatewayService:
    name = "gateway"

    config = Config()
    rate_limit = RateLimits()
    catalogue = RpcProxy("catalogue")
    # Searches are reads: a request kept on disk would be answered to nobody after a broker
    # restart, so they are sent transient (a persistent one was confirmed only once acknowledged,
    # after the answer: ~1.3 ms more per search). And without a confirm, on a channel kept open
    # (services/chassis/replies.py): a confirm only tells that some queue took the request, and
    # search's durable queue takes it whether search runs or not; waiting for it cost the gateway
    # and RabbitMQ ~0.3 ms of CPU each per search.
    search = RpcProxy("search", delivery_mode=NON_PERSISTENT, use_confirms=False)
    intake = RpcProxy("intake")
    notify = RpcProxy("notify")
    analytics = RpcProxy("analytics")

    # plumbing

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        return self.call_async(service, method, *args, **kwargs)(timeout)

    def call_async(self, service: str, method: str, *args, **kwargs):
        """Send the call now; the returned function waits for its answer (a 503 after
        ``timeout`` or RPC_TIMEOUT_SECONDS)."""
        try:
            reply = getattr(getattr(self, service), method).call_async(*args, **kwargs)
        except UnknownService:      # no queue took the request: the service never ran on this broker
            raise Problem(503, "Service unavailable", f"the {service} service is not running",
                          headers={"Retry-After": "5"}) from None

        def result(timeout: float | None = None):
            limit = timeout or self.config.get("RPC_TIMEOUT_SECONDS", 30)
            try:
                with eventlet.Timeout(limit):
                    return reply.result()
            except eventlet.Timeout:
                raise Problem(503, "Service unavailable", f"the {service} service did not answer in {limit}s",
                              headers={"Retry-After": "5"}) from None
        return result

    def principal(self, request) -> Principal | None:
        token = self.config["ADMIN_TOKEN"]
        return authenticate(request, token, lambda key: self.call("catalogue", "authenticate_provider", key))

    # operations

    @route("GET", "/health")
    def health(self, request):
        def check(service):
            try:
                self.call(service, "health", timeout=3)
                return service, "ok"
            except Exception as exc:  # a broken or absent service is what /health reports
                return service, f"unavailable: {getattr(exc, 'detail', exc)}"

        services = dict(GreenPool(len(BACKENDS)).imap(check, BACKENDS))
        healthy = all(state == "ok" for state in services.values())
        return json_response({"status": "ok" if healthy else "unavailable", "services": services},
                             200 if healthy else 503)

    @route("GET", "/openapi.json")
    def openapi_document(self, request):
        return json_response(openapi.document())

    @route("GET", "/asyncapi.json")
    def asyncapi_document(self, request):
        return json_response(asyncapi.document())

    # providers

    @route("POST", "/api/v1/providers")
    def create_provider(self, request):
        require(self.principal(request), "admin")
        return json_response(self.call("catalogue", "register_provider", read_json(request)), 201)

    @route("GET", "/api/v1/providers")
    def list_providers(self, request):
        require(self.principal(request), "admin")
        items = self.call("catalogue", "list_providers")
        return whole_list(items)

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
        fmt = request.args.get("format") or IMPORT_FORMATS.get(request.mimetype)
        mode = request.args.get("mode", UPSERT)
        if fmt not in imports.READERS:
            raise Problem(422, "Validation failed", "say which format the body has",
                          [{"field": "format", "message": f"one of {sorted(imports.READERS)}"}])
        if mode not in IMPORT_MODES:
            raise Problem(422, "Validation failed", "unknown import mode",
                          [{"field": "mode", "message": f"one of {sorted(IMPORT_MODES)}"}])
        options = {}
        if "higher_education" in request.args:
            options["higher_education"] = request.args["higher_education"]
            if fmt != "ooapi" or options["higher_education"] not in imports.HIGHER_EDUCATION:
                raise Problem(422, "Validation failed", "higher_education tells what an OOAPI bachelor or master is",
                              [{"field": "higher_education",
                                "message": f"one of {list(imports.HIGHER_EDUCATION)}, with format=ooapi"}])
        try:
            encoding = imports.line_encoding(fmt, request.mimetype_params.get("charset"))
        except ValueError as exc:
            raise Problem(422, "Validation failed", "the body's charset cannot be read",
                          [{"field": "Content-Type", "message": str(exc)}]) from None
        import_id = self.call("catalogue", "start_import", me.id, fmt, mode)
        accepted, rejected, batch, numbers = 0, [], [], itertools.count(1)
        in_flight: deque = deque()   # answers still to come, oldest first

        def collect():
            nonlocal accepted
            report = in_flight.popleft()()
            accepted += report["accepted"]
            rejected.extend(report["rejected"])

        def send():
            # the catalogue checks this batch while it stores the one before (it stores them in order)
            in_flight.append(self.call_async("catalogue", "import_courses", me.id, import_id, list(batch),
                                             next(numbers)))
            batch.clear()
            while len(in_flight) > IMPORT_IN_FLIGHT:
                collect()

        def heartbeat():
            # a slow upload may take long to fill a batch: without a word from here the
            # catalogue would take the import for abandoned (IMPORT_ABANDONED_AFTER)
            while True:
                eventlet.sleep(self.config.get("IMPORT_HEARTBEAT_SECONDS", 60))
                try:
                    if not self.call("catalogue", "touch_import", me.id, import_id):
                        return      # it ended: the next batch is told so
                except Exception as exc:   # a missed beat: the next may reach it
                    log.warning("import %s: heartbeat not delivered (%s)", import_id, exc)

        beating = eventlet.spawn(heartbeat)
        try:
            for line, course in imports.READERS[fmt](imports.readable(request.stream), encoding, **options):
                if isinstance(course, imports.ParseError):
                    rejected.append({"line": line, "external_id": None, "errors": course.errors})
                    continue
                batch.append({"line": line, "course": course})
                if len(batch) >= IMPORT_BATCH:
                    send()
            if batch:
                send()
            while in_flight:
                collect()
        except Exception as exc:
            for answer in in_flight:       # let what was sent finish before the import is closed
                try:
                    answer()
                except Exception:
                    pass
            self.call("catalogue", "finish_import", me.id, import_id, False, _import_failure(exc))
            raise
        finally:
            beating.kill()
        report = self.call("catalogue", "finish_import", me.id, import_id, mode == FULL_SYNC)
        return json_response({"import_id": import_id, "accepted": accepted, "rejected": rejected,
                              "withdrawn": report["withdrawn_external_ids"]})

    @route("GET", "/api/v1/courses/imports")
    def list_imports(self, request):
        me = require(self.principal(request), "provider")
        items = self.call("catalogue", "list_imports", me.id)
        return whole_list(items)

    @route("GET", "/api/v1/courses/imports/<import_id>")
    def get_import(self, request, import_id):
        """Progress of a running import (accepted so far), or the totals of a finished one."""
        me = require(self.principal(request), "provider")
        return json_response(self.call("catalogue", "list_imports", me.id, import_id)[0])

    @route("GET", "/api/v1/courses/<course_id>")
    def get_course(self, request, course_id):
        me = self.principal(request)
        course = self.call("catalogue", "get_course", course_id, me.id if me else None)
        return versioned_response(course)

    @route("PUT", "/api/v1/courses/<course_id>")
    def update_course(self, request, course_id):
        me = require(self.principal(request), "provider")
        version = expected_version(request, "course")
        course = self.call("catalogue", "update_course", me.id, course_id, version, read_json(request))
        return versioned_response(course)

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
        items = self.call("catalogue", "course_history", me.id, course_id)
        return whole_list(items)

    # funding schemes

    @route("POST", "/api/v1/funding-schemes")
    def publish_funding_scheme(self, request):
        me = require(self.principal(request), "admin", "provider")
        if me.role == "provider" and me.kind != "oo-fonds":
            raise Forbidden("only an admin or an O&O-fonds publishes funding schemes")
        return json_response(self.call("catalogue", "publish_funding_scheme", me.actor, read_json(request)), 201)

    @route("GET", "/api/v1/funding-schemes")
    def list_funding_schemes(self, request):
        items = self.call("catalogue", "list_funding_schemes")
        return whole_list(items)

    @route("GET", "/api/v1/funding-schemes/<code>")
    def get_funding_scheme(self, request, code):
        scheme = self.call("catalogue", "get_funding_scheme", code)
        return versioned_response(scheme)

    @route("PUT", "/api/v1/funding-schemes/<code>")
    def change_funding_scheme(self, request, code):
        """Its publisher or an admin replaces a scheme (ends it early: ``valid_until``)."""
        me = require(self.principal(request), "admin", "provider")
        version = expected_version(request, "funding scheme")
        scheme = self.call("catalogue", "change_funding_scheme", me.actor, code, version, read_json(request))
        return versioned_response(scheme)

    # search

    @route("GET", "/api/v1/search")
    def search_courses(self, request):
        params = {
            key: request.args.getlist(key) if key in REPEATABLE_SEARCH_PARAMS else request.args.get(key)
            for key in request.args.keys()
        }
        return json_response(self.call("search", "search", params))

    @route("GET", "/api/v1/suggest")
    def suggest(self, request):
        return json_response(self.call("search", "suggest", dict(request.args.items())))


def paging(request) -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        page_size = int(request.args.get("page_size", 20))
    except ValueError:
        raise Problem(422, "Validation failed", "page and page_size are whole numbers",
                      [{"field": "page", "message": "must be a whole number"}]) from None
    bounds = (("page", page, LIST_MAX_PAGE), ("page_size", page_size, LIST_MAX_PAGE_SIZE))
    outside = [field for field, value, top in bounds if not 1 <= value <= top]
    if outside:
        raise Problem(422, "Validation failed",
                      f"1 <= page <= {LIST_MAX_PAGE} and 1 <= page_size <= {LIST_MAX_PAGE_SIZE}",
                      [{"field": outside[0], "message": "out of range"}])
    return page, page_size


SERVICE = GatewayService
