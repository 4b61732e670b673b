"""The gateway's HTTP plumbing, shared by every area's routes: the route decorator (errors as
problem+json, rate limits), reading a request (JSON body, paging, If-Match), writing a response,
and calling a service over RPC with a deadline."""
from __future__ import annotations

import functools
import ipaddress
import logging
import socket
import uuid
from datetime import datetime, timezone

import eventlet
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import ClientDisconnected, HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from services.chassis import wire
from services.chassis.clients import ServiceClient
from services.chassis.errors import validated
from services.chassis.errors import Unauthorized
from services.contracts.common import LIST_MAX_PAGE, LIST_MAX_PAGE_SIZE
from services.gateway import bodies
from services.gateway.auth import Principal, authenticate
from services.gateway.limits import searcher
from services.gateway.problems import Problem, from_exception, problem_response

log = logging.getLogger("services.gateway")

MAX_VERSION = 2**31 - 1
NOT_PAGES = ("/health", "/openapi.json", "/asyncapi.json")  # a course's or scheme's version is a PostgreSQL integer


# responses

def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    # as messages are written (orjson): a search answer (~20 hits with snippets and facets)
    # took the standard encoder a tenth of the gateway's time per request
    return Response(wire.encode(body), status=status, mimetype="application/json", headers=headers)


def versioned_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A course or funding scheme, with its version as the ETag (an RFC 9110 entity tag, ``"3"``)
    that a change sends back in If-Match."""
    return json_response(body, status, {**(headers or {}), "ETag": f'"{body["version"]}"'})


def whole_list(items: list) -> Response:
    """A list answered whole, in the shape of a list page."""
    return json_response({"items": items, "total": len(items), "page": 1, "page_size": len(items)})


# the server and the route decorator

def is_page(path: str) -> bool:
    """A person's page (errors in words), not the API, a static file or a document."""
    return not path.startswith(("/api/", "/static/")) and path not in NOT_PAGES


class RequestTooSlow(TimeoutError):
    """A client took longer than REQUEST_DEADLINE_SECONDS for a request's head and body (a
    ``socket.timeout``: eventlet's server closes such a connection quietly)."""


class DeadlineProtocol(HttpOnlyProtocol):
    """A request's head and body get REQUEST_DEADLINE_SECONDS in all, from its first byte (an idle
    kept-alive connection waits for its next request without it): SOCKET_TIMEOUT_SECONDS is per
    read, so a byte a minute kept a connection for hours. The WSGI app ends the deadline once it
    has the body (``environ[DEADLINE]``)."""

    def handle_one_request(self):
        if not self.rfile.closed:
            self.rfile.peek(1)
        self.deadline = eventlet.Timeout(self.server.request_deadline, RequestTooSlow("request too slow"))
        try:
            super().handle_one_request()
        finally:
            self.deadline.cancel()

    def get_environ(self):
        environ = super().get_environ()
        environ[DEADLINE] = self.deadline
        return environ


DEADLINE = "scholingsalliantie.deadline"
PRODUCTION = "scholingsalliantie.production"      # in the environ of a production gateway's requests
HSTS = "max-age=63072000; includeSubDomains"
# the public HTTP contract's version (SemVer: CHANGELOG.md), in the OpenAPI document's info and
# in every API answer's API-Version header
API_VERSION = "1.2.0"
# what every answer of the API and its documents carries unless its route said otherwise: nothing
# kept by a cache on the way (most answers are someone's own), not read as another type, not framed
API_HEADERS = {"API-Version": API_VERSION, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
               "X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def proxy_networks(value: str) -> list:
    """TRUSTED_PROXIES as networks (``10.0.0.0/8, 127.0.0.1``); ValueError for one that is not."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def behind_proxy(environ: dict, trusted: list) -> None:
    """The client's own address and scheme when the request came through a trusted proxy: the
    nearest address in X-Forwarded-For that is not one of the proxies (the ones before it could
    be written by anybody), and the scheme the proxy says. From anyone else these headers are
    ignored, so a client cannot choose its own address (rate limits, the intake's limits)."""
    if not trusted or not _among(environ.get("REMOTE_ADDR"), trusted):
        return
    forwarded = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _valid_address(address):
            break
        environ["REMOTE_ADDR"] = address
        if not _among(address, trusted):
            break
    scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
    if scheme in ("http", "https"):
        environ["wsgi.url_scheme"] = scheme


def _valid_address(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        return False


def _among(address: str | None, networks: list) -> bool:
    return bool(address) and _valid_address(address) and any(ipaddress.ip_address(address) in n for n in networks)


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, but a path no route has (404) or a method its route does not take
    (405, with ``Allow``) is answered as problem+json like every other error, not with
    werkzeug's HTML page. It reads a request's body (up to MAX_BODY_BYTES) before a worker takes
    the request, within the request's deadline: a slow client holds its own connection, never one
    of the gateway's workers. An upload that streams (an import) is read by its worker, after the
    route checked who sends it, and only so many at once (``UploadSlots``)."""

    def __init__(self, server):
        super().__init__(server)
        config = server.container.config
        self.trusted = proxy_networks(config.get("TRUSTED_PROXIES") or "")
        self.production = config.get("APP_ENV") == "production"

    def __call__(self, environ, start_response):
        behind_proxy(environ, self.trusted)
        path = environ.get("PATH_INFO", "")
        if self.production:     # browsers keep to https (HSTS); the pages' cookies are always Secure
            environ[PRODUCTION] = True
            start_response = _with_headers(start_response, {"Strict-Transport-Security": HSTS})
        if not is_page(path) and not path.startswith("/static/"):
            start_response = _with_headers(start_response, API_HEADERS)
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            headers = {"Allow": ", ".join(exc.valid_methods)} if isinstance(exc, MethodNotAllowed) else None
            response = problem_response(exc.code, exc.name, exc.description, headers=headers)
            if exc.code == 404 and is_page(path) and self.page_errors():
                # a mistyped page address: a page in words with the way on, not JSON
                response = self.page_errors()(Request(environ), response)
            return response(environ, start_response)
        request = Request(environ)
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # eventlet decodes a chunked body but does not say so; werkzeug would then hand
            # the handler an empty stream (an upload streamed without Content-Length)
            environ["wsgi.input_terminated"] = True
        deadline = environ.get(DEADLINE)
        if not request.path.endswith(bodies.STREAMED_PATHS):
            # werkzeug refuses a larger body before reading it (Content-Length), or as soon as a
            # chunked one grows past it: RequestEntityTooLarge, answered 413
            limit = self.server.container.config.get("MAX_BODY_BYTES", 1024 * 1024)
            request.max_content_length = request.max_form_memory_size = limit
            try:
                request.get_data(cache=True, parse_form_data=False)
            except RequestEntityTooLarge as exc:
                return self._refused(provider, request, from_exception(exc))(environ, start_response)
            except ClientDisconnected as exc:     # werkzeug's word for a read that failed: the deadline, or gone
                if not isinstance(exc.__context__, RequestTooSlow):
                    raise
                return self._refused(provider, request, problem_response(408, "Request timeout", "the body did not arrive "
                                                               "in time"))(environ, start_response)
        if deadline is not None:
            deadline.cancel()
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)

    def page_errors(self):
        """How the pages answer an error (the error page their entrypoints carry), or None."""
        return next((p.error_page for p in self.server._providers if p.error_page is not None), None)

    @staticmethod
    def _refused(provider, request, response: Response) -> Response:
        """A body refused before a worker saw it: as a page in words on a page's path. The
        connection is closed (what is left of the body is not read)."""
        if provider.error_page is not None:
            response = provider.error_page(request, response)
        response.headers["Connection"] = "close"
        return response


def _with_headers(start_response, defaults: dict):
    """``defaults`` added to a response's headers, each where the response did not set its own."""
    def start(status, headers, exc_info=None):
        own = {name.lower() for name, _ in headers}
        return start_response(status, [*headers, *((n, v) for n, v in defaults.items() if n.lower() not in own)],
                              exc_info)
    return start


class NoDelayWebServer(WebServer):
    """nameko's web server with Nagle's algorithm off on every connection: a response written
    in more than one segment otherwise waits for the client's delayed ACK (~40 ms a request).
    Its app answers unknown paths and methods as problem+json."""

    def process_request(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)

    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        server = super().get_wsgi_server(sock, wsgi_app, protocol=DeadlineProtocol, **kwargs)
        # a client silent this long mid-request is cut off (eventlet's default: never)
        server.socket_timeout = self.container.config.get("SOCKET_TIMEOUT_SECONDS", 60)
        server.request_deadline = self.container.config.get("REQUEST_DEADLINE_SECONDS", 30)
        return server


class HttpEntrypoint(HttpRequestHandler):
    """nameko's http entrypoint on our server; ``error_page`` answers a page's errors in words."""
    server = NoDelayWebServer()

    def __init__(self, method, url, error_page=None, **kwargs):
        super().__init__(method, url, **kwargs)
        self.error_page = error_page


http = HttpEntrypoint.decorator


def route(method: str, url: str, error_page=None):
    """A nameko http entrypoint whose errors are answered as problem+json, or by ``error_page``
    (a page's: in words); an ``/api/`` route counts against the client's rate limit, a page
    against the pages' limit."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, request, **params):
            page = is_page(url)
            try:
                if url.startswith("/api/"):      # not /health and the API documents
                    # a credential is the client only once verified: a made-up one is its address
                    self.rate_limit(request, verified=isinstance(self.caller(request), Principal))
                elif page:
                    self.rate_limit(request, pages=True)
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
                if error_page is not None:      # a person gets a page, in words, not problem+json
                    return error_page(request, response)
                return response

        return http(method, url, error_page=error_page)(wrapper)

    return decorator


# reading a request

def is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def read_json(request) -> dict:
    """The body, a JSON object. It must say it is JSON (``Content-Type: application/json``): a
    form a foreign website posts (``text/plain``) cannot then act for its visitors."""
    raw = request.get_data(as_text=True)
    if raw and not is_json(request.mimetype):
        raise Problem(415, "Unsupported media type", "send the body as JSON with 'Content-Type: application/json'",
                      [{"field": "Content-Type", "message": "must be application/json"}])
    limit = request.max_content_length
    if limit is not None and len(raw) >= limit and request.content_length is None:
        # a chunked body is cut at the limit without a word (werkzeug raises only on a read
        # past it): as long as the limit, it went on
        raise RequestEntityTooLarge()
    try:
        body, suspect = bodies.loads(raw or "null")
    except ValueError as exc:
        raise Problem(400, "Malformed JSON", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Problem(400, "Malformed JSON", "the body must be a JSON object")
    if suspect and (errs := bodies.uncarried(body)):
        raise Problem(422, "Validation failed", "the body holds values the platform cannot store", errs)
    return body


def read_model(request, model):
    """The body as ``model`` (a 422 naming every bad field, as the service would)."""
    return validated(model, read_json(request))


IDEMPOTENCY = uuid.UUID("0b6a4c55-8f0e-4d7a-9c3b-2f1e6d5a4b39")


def request_id(request) -> str:
    """The id of what this request creates. With an ``Idempotency-Key`` header it is the same
    for the same key from the same client (its credential, else its address), so a client that
    sends again after a 503 or a dropped connection gets the one it made; else a new one. The
    service that creates uses it as the new thing's id, which also makes a request nameko
    delivers twice create once."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return str(uuid.uuid4())
    if not 1 <= len(key) <= 200:
        raise Problem(422, "Validation failed", "an Idempotency-Key has 1 to 200 characters",
                      [{"field": "Idempotency-Key", "message": "1 to 200 characters"}])
    client = request.headers.get("Authorization") or request.remote_addr or ""
    return str(uuid.uuid5(IDEMPOTENCY, f"{client}\x1f{key}"))


def expected_version(request, what: str) -> int:
    """The version a change was made to (``If-Match``, the ETag quoted as sent or the bare number;
    a weak tag's ``W/`` is ignored): a 428 without one."""
    if_match = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not if_match.isdigit():
        raise Problem(428, "Precondition required", f"send the {what} version you changed in If-Match",
                      [{"field": "If-Match", "message": "required: the current version number"}])
    if int(if_match) > MAX_VERSION:     # nothing gets there (and no message could carry it)
        raise Problem(412, "Precondition failed", f"version {if_match} is not the {what}'s version",
                      [{"field": "If-Match", "message": "not the current version number"}])
    return int(if_match)


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


# calling the services

class Calls:
    """What every area's routes use on the gateway besides the typed clients of the services
    (``gw.intake.submit_intake(...)``, declared in their contract modules; a 503 when a service
    is away or slow): who is calling. The service class holds the clients, the config and the
    rate limits."""

    def client(self, service: str) -> ServiceClient:
        """The client of the service named (a session's keeper, a health check)."""
        found = getattr(self, service)
        if not isinstance(found, ServiceClient):
            raise LookupError(f"no client of a service named {service!r}")
        return found

    def searcher(self, request) -> str:
        """Who searches, as search_performed carries it (limits.searcher)."""
        return searcher(request, self.config["ADMIN_TOKEN"], isinstance(self.caller(request), Principal),
                        datetime.now(timezone.utc).date())

    def principal(self, request) -> Principal | None:
        """The caller; Unauthorized for credentials that are no one's."""
        found = self.caller(request)
        if isinstance(found, Unauthorized):
            raise found
        return found

    def caller(self, request) -> Principal | Unauthorized | None:
        """The caller, or why their credentials were refused: asked of the issuing service once a
        request (the rate limit needs it first, the route after)."""
        if CALLER not in request.environ:
            try:
                request.environ[CALLER] = authenticate(request, self.config["ADMIN_TOKEN"], self)
            except Unauthorized as exc:
                request.environ[CALLER] = exc
        return request.environ[CALLER]


CALLER = "scholingsalliantie.caller"
