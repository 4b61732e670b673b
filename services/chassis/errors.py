"""Domain errors shared by every service. They cross RPC as themselves (registered with nameko's
``deserialize_to_instance``); the gateway maps each type to an HTTP status in one place
(gateway/problems.py)."""
from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    """Base of the errors a caller can act on (as opposed to bugs)."""

    def __init__(self, detail: str, errors: list[dict] | None = None):
        super().__init__(detail, errors or [])
        self.detail = detail
        self.errors = errors or []


@deserialize_to_instance
class NotFound(DomainError):
    pass


@deserialize_to_instance
class Conflict(DomainError):
    pass


@deserialize_to_instance
class Forbidden(DomainError):
    pass


@deserialize_to_instance
class Unauthorized(DomainError):
    pass


@deserialize_to_instance
class PreconditionFailed(DomainError):
    pass


class RetryLater(DomainError):
    """An error that says when to ask again: ``retry_after`` seconds (the Retry-After header)."""

    default_retry_after = 60

    def __init__(self, detail: str, errors: list[dict] | None = None, retry_after: int | None = None):
        super().__init__(detail, errors)
        self.retry_after = int(self.default_retry_after if retry_after is None else retry_after)
        self.args = (detail, self.errors, self.retry_after)     # what crosses RPC


@deserialize_to_instance
class TooManyRequests(RetryLater):
    """Too many requests of one kind from one client or for one contact."""


@deserialize_to_instance
class Unavailable(RetryLater):
    """Something the service needs is away for now (its database restarting): nothing was
    changed; ask again soon."""

    default_retry_after = 5


@deserialize_to_instance
class ValidationFailed(DomainError):
    """``errors`` lists ``{"field": "offerings.0.start_date", "message": ...}``."""


def field_errors(exc) -> list[dict]:
    """Turn a pydantic ValidationError into API field errors (``offerings.2.location.city``)."""
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part != "__root__"]
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        out.append({"field": ".".join(loc) or "body", "message": message.removeprefix("Value error, ")})
    return out


def validated(model, data, what: str | None = None):
    """``model.model_validate(data)``, or ValidationFailed naming every bad field; ``what`` the
    model is in words (else its ``what``, else its name)."""
    what = what or getattr(model, "what", model.__name__)
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(f"the {what} is not valid", field_errors(exc)) from None
