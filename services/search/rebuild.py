"""A full rebuild of the search read model from the catalogue: every funding scheme, then every
published course page by page, then the documents of courses no longer published are hidden.
Events keep flowing meanwhile (the backends' version guards keep the newer state). One search
process at a time rebuilds (an advisory lock); the others wait and then find it current."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import eventlet

from services.chassis.errors import Unavailable
from services.contracts.catalogue import CatalogueClient
from services.contracts.courses import Course
from services.search.backends.base import SearchBackend
from services.search.documents import build_document

log = logging.getLogger(__name__)
REBUILD_PAGE = 500
REBUILD_LOCK = "search: rebuild of the read model"


def rebuild(store, backend: SearchBackend, catalogue: CatalogueClient) -> dict:
    """Rebuild through ``store`` (the service's Database dependency) from ``catalogue`` (its
    client); the caller holds ``REBUILD_LOCK``."""
    started = datetime.now(timezone.utc)
    after, seen = None, []
    backend.begin_rebuild()
    schemes = patiently(catalogue.list_funding_schemes, True)     # ended ones too
    with store.transaction() as tx:
        for scheme in schemes:
            tx.put_funding_scheme(scheme["code"], scheme, scheme["version"])
    while True:
        page = patiently(catalogue.list_published_courses, after, REBUILD_PAGE)
        if not page:
            break
        with store.transaction() as tx:
            backend.rebuild_many(tx, [build_document(Course.model_validate(item), published=True) for item in page])
        seen.extend(item["id"] for item in page)
        after = page[-1]["id"]
        log.info("rebuilding the search read model: %d courses so far", len(seen))
    with store.transaction() as tx:
        hidden = backend.finish_rebuild(tx, seen, started)
    return {"published": len(seen), "unpublished": hidden}


def patiently(method, *args, attempts: int = 60):
    """``method(*args)``, a catalogue client's. The catalogue may still be starting, and right at
    our own start the reply queue may not be consumed yet (a reply sent before that is lost):
    short timeouts, many attempts."""
    for attempt in range(1, attempts + 1):
        try:
            return method(*args, timeout=5)
        except Unavailable as exc:
            log.warning("catalogue not answering (%s), attempt %d of %d", exc.detail, attempt, attempts)
            eventlet.sleep(min(attempt, 5))
    raise RuntimeError("the catalogue did not answer; the read model was not rebuilt")
