"""What a read of a course tells the demand data: a view, recorded by the search service. The
API's course read and the course page both count one."""
from __future__ import annotations

import logging

from services.chassis.errors import ValidationFailed

log = logging.getLogger("services.gateway")


def record_view(gw, course: dict, search_id: str | None, me=None, strict: bool = True) -> None:
    """A read of a published course counts as a view for the demand data (from a search when
    ``search_id`` says which); its provider reading it does not. The course is answered even when
    the view cannot be recorded; a malformed ``search_id`` is a 422 (``strict``) or ignored."""
    own = me is not None and me.role == "provider" and me.id == course["provider"]["id"]
    if course.get("status") != "published" or own:
        return
    try:
        gw.search.record_view(course["id"], search_id, timeout=2)
    except ValidationFailed:
        if strict:
            raise
    except Exception:
        log.warning("a view of course %s could not be recorded", course["id"], exc_info=True)
