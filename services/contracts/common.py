"""Field types and limits more than one service's contract uses."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email     # syntax only: no DNS here
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not an e-mail address: {exc}") from None


EmailAddress = Annotated[str, Field(max_length=254), AfterValidator(_email)]


# a list answer's paging (``GET /api/v1/providers/me/courses``): a page further than any list
# goes is a 422, not an offset the database cannot hold
LIST_MAX_PAGE = 100_000


LIST_MAX_PAGE_SIZE = 100
