"""problem+json (RFC 9457) responses, and the one place that maps errors to HTTP statuses."""
from __future__ import annotations

import json

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from services.chassis import errors

STATUS = {
    errors.ValidationFailed: (422, "Validation failed"),
    errors.Unauthorized: (401, "Unauthorized"),
    errors.Forbidden: (403, "Forbidden"),
    errors.NotFound: (404, "Not found"),
    errors.Conflict: (409, "Conflict"),
    errors.PreconditionFailed: (412, "Precondition failed"),
    errors.TooManyRequests: (429, "Too many requests"),
    errors.Unavailable: (503, "Service unavailable"),
}


class Problem(Exception):
    """An HTTP error the gateway decides itself (bad JSON, a service that does not answer)."""

    def __init__(self, status: int, title: str, detail: str, errors_: list[dict] | None = None,
                 headers: dict | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors_ or []
        self.headers = headers or {}


def problem_response(status: int, title: str, detail: str, errs: list[dict] | None = None,
                     headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": errs or []}
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="scholingsalliantie"'
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_exception(exc: Exception) -> Response | None:
    """The response for a known error, or None for a bug (the caller answers 500 and logs)."""
    if isinstance(exc, Problem):
        return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)
    if isinstance(exc, RequestEntityTooLarge):
        return problem_response(413, "Payload too large", "the body is larger than this endpoint takes "
                                "(MAX_BODY_BYTES); an import of many courses goes to /api/v1/courses/import",
                                [{"field": "body", "message": "too large"}])
    for exc_type, (status, title) in STATUS.items():
        if isinstance(exc, exc_type):
            headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.RetryLater) else None
            return problem_response(status, title, exc.detail, exc.errors, headers)
    return None
