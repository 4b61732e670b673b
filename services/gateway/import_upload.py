"""The conversation of a bulk import upload: the body is read as a stream (import_formats.py)
and sent to the catalogue in batches while it is still arriving, a few batches in flight, with a
heartbeat while a slow upload fills the next batch; valid lines are stored even when others fail,
and an upload that breaks off is recorded as a failed import with its reason."""
from __future__ import annotations

import contextlib
import itertools
import logging
from collections import deque
from dataclasses import dataclass

import eventlet
import eventlet.semaphore
from nameko.extensions import DependencyProvider

from services.chassis.errors import DomainError, Unavailable
from services.contracts.catalogue import CatalogueClient, FULL_SYNC, IMPORT_MODES, UPSERT
from services.gateway import import_formats
from services.contracts.ooapi import HIGHER_EDUCATION
from services.gateway.problems import Problem

log = logging.getLogger(__name__)

FORMATS_BY_TYPE = {"application/x-ndjson": "ndjson", "text/csv": "csv", "application/json": "ooapi"}
IMPORT_BATCH = 500  # courses per RPC: big enough to amortise the round trip, small enough for memory
REJECTIONS_SHOWN = 1000  # rejected lines an import's report lists (rejected_total counts them all)
IMPORT_IN_FLIGHT = 2  # batches sent and not yet answered: the catalogue checks one while it stores another


@dataclass
class ImportRequest:
    """What an upload asks for, checked before anything is started."""
    fmt: str
    mode: str
    encoding: str
    options: dict


def import_request(request) -> ImportRequest:
    """The upload's format, mode, charset and options, or a 422 naming the parameter."""
    fmt = request.args.get("format") or FORMATS_BY_TYPE.get(request.mimetype)
    mode = request.args.get("mode", UPSERT)
    if fmt not in import_formats.READERS:
        raise Problem(422, "Validation failed", "say which format the body has",
                      [{"field": "format", "message": f"one of {sorted(import_formats.READERS)}"}])
    if mode not in IMPORT_MODES:
        raise Problem(422, "Validation failed", "unknown import mode",
                      [{"field": "mode", "message": f"one of {sorted(IMPORT_MODES)}"}])
    options = {}
    if "higher_education" in request.args:
        options["higher_education"] = request.args["higher_education"]
        if fmt != "ooapi" or options["higher_education"] not in HIGHER_EDUCATION:
            raise Problem(422, "Validation failed", "higher_education tells what an OOAPI bachelor or master is",
                          [{"field": "higher_education",
                            "message": f"one of {list(HIGHER_EDUCATION)}, with format=ooapi"}])
    try:
        encoding = import_formats.line_encoding(fmt, request.mimetype_params.get("charset"))
    except ValueError as exc:
        raise Problem(422, "Validation failed", "the body's charset cannot be read",
                      [{"field": "Content-Type", "message": str(exc)}]) from None
    return ImportRequest(fmt, mode, encoding, options)


class UploadSlots(DependencyProvider):
    """How many uploads this gateway process reads at once (UPLOAD_SLOTS): an upload streams in
    a worker for as long as its sender takes, so a few slow ones must not hold every worker. The
    injected function is a context manager; without a free slot, a 503 with Retry-After."""

    def setup(self):
        self.slots = eventlet.semaphore.Semaphore(self.container.config.get("UPLOAD_SLOTS", 5))

    def get_dependency(self, worker_ctx):
        return self.slot

    @contextlib.contextmanager
    def slot(self):
        if not self.slots.acquire(blocking=False):
            raise Problem(503, "Service unavailable", "this gateway is reading as many uploads as it takes; "
                          "send it again shortly", headers={"Retry-After": "10"})
        try:
            yield
        finally:
            self.slots.release()


class Upload:
    """One upload of provider ``provider_id`` as import ``import_id``: ``run(stream)`` reads it
    to the end and answers the import report, sending it in batches through ``catalogue``."""

    def __init__(self, catalogue: CatalogueClient, provider_id: str, import_id: str, heartbeat_seconds: float):
        self.catalogue, self.provider_id, self.import_id = catalogue, provider_id, import_id
        self.heartbeat_seconds = heartbeat_seconds
        self.accepted, self.rejected, self.batch, self.rejected_total = 0, [], [], 0
        # lines the reader could not read: recorded by the catalogue with the next batch, so the
        # import's own record (not this process) holds every rejected line
        self.unread: list[dict] = []
        self.numbers = itertools.count(1)
        self.in_flight: deque = deque()   # answers still to come, oldest first

    def run(self, stream, wanted: ImportRequest) -> dict:
        beating = eventlet.spawn(self._heartbeat)
        try:
            self._send_all(stream, wanted)
        except Exception as exc:
            for answer in self.in_flight:       # let what was sent finish before the import is closed
                try:
                    answer()
                except Exception:
                    pass
            self._finish(False, _failure(exc))
            raise
        finally:
            beating.kill()
        report = self._finish(wanted.mode == FULL_SYNC)
        return {"import_id": self.import_id, "accepted": self.accepted, "rejected": self.rejected,
                "rejected_total": self.rejected_total, "withdrawn": report["withdrawn_external_ids"]}

    def _send_all(self, stream, wanted: ImportRequest) -> None:
        reader = import_formats.READERS[wanted.fmt]
        for line, course in reader(import_formats.readable(stream), wanted.encoding, **wanted.options):
            if isinstance(course, import_formats.ParseError):
                self.unread.append({"line": line, "external_id": None, "errors": course.errors})
                if len(self.unread) >= IMPORT_BATCH:
                    self._send()
                continue
            self.batch.append({"line": line, "course": course})
            if len(self.batch) >= IMPORT_BATCH:
                self._send()
        if self.batch or self.unread:
            self._send()
        while self.in_flight:
            self._collect()

    def _send(self) -> None:
        # the catalogue checks this batch while it stores the one before (it stores them in order)
        self.in_flight.append(self.catalogue.import_courses.later(self.provider_id, self.import_id, list(self.batch),
                                                                  next(self.numbers), list(self.unread)))
        self.batch.clear()
        self.unread.clear()
        while len(self.in_flight) > IMPORT_IN_FLIGHT:
            self._collect()

    def _collect(self) -> None:
        report = self.in_flight.popleft()()
        self.accepted += report["accepted"]
        self._reject(report["rejected"])

    def _reject(self, items: list[dict]) -> None:
        """The first REJECTIONS_SHOWN rejected lines are kept for the report, the rest counted: a
        file of junk must not become a report (and a memory) many times its size."""
        self.rejected_total += len(items)
        self.rejected.extend(items[:max(0, REJECTIONS_SHOWN - len(self.rejected))])

    def _heartbeat(self) -> None:
        # a slow upload may take long to fill a batch: without a word from here the
        # catalogue would take the import for abandoned (IMPORT_ABANDONED_AFTER)
        while True:
            eventlet.sleep(self.heartbeat_seconds)
            try:
                if not self.catalogue.touch_import(self.provider_id, self.import_id):
                    return      # it ended: the next batch is told so
            except Exception as exc:   # a missed beat: the next may reach it
                log.warning("import %s: heartbeat not delivered (%s)", self.import_id, exc)

    def _finish(self, complete_sync: bool, failure: str | None = None) -> dict:
        return self.catalogue.finish_import(self.provider_id, self.import_id, complete_sync,
                                            *((failure,) if failure else ()))


def _failure(exc: Exception) -> str:
    """Why an import stopped mid-file, as its provider reads it when polling the import."""
    if isinstance(exc, Problem):        # a batch refused
        return f"{exc.title}: {exc.detail}"
    if isinstance(exc, Unavailable):    # the catalogue (or the broker) did not answer
        return f"Service unavailable: {exc.detail}"
    if isinstance(exc, DomainError):
        return f"the catalogue refused a batch: {exc.detail}"
    return f"the upload broke off before the end of the body ({type(exc).__name__}: {exc})"
