"""Pulling a provider's courses from its own OOAPI v5 endpoint, as an import that runs unattended.

OOAPI is a pull API: an institution publishes ``/courses`` and ``/courses/{courseId}/offerings``
on its own server, in pages (``pageSize``/``pageNumber``, ``hasNextPage``). A sync walks every
page of courses, reads each course's offerings (and, for a bachelor or master whose sector it does
not say, the course again with ``expand=programs,educationSpecification``), maps each with
``contracts.ooapi`` and stores them through the catalogue's import in batches: a full sync, so a
course gone from the endpoint is withdrawn at the end.

Polite to the institution's server: at most ``requests_per_second``, a timeout on every request,
a few retries with growing waits on a timeout, a dropped connection, 429 (its ``Retry-After``
honoured) and 5xx. Nothing but the registered URL is called (redirects are not followed). A
server that fails or answers something that is not OOAPI fails the whole sync, which then
withdraws nothing; one course the server cannot give is a rejected item, as a bad line of a file.
"""
from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import quote

import requests

from services.chassis.urls import guarded_session, outbound_failure
from services.contracts.ooapi import OOAPI_DEGREES, OOAPI_SECTORS, ooapi_course

log = logging.getLogger(__name__)
RETRIED_STATUSES = {429, 500, 502, 503, 504}
MAX_RESPONSE_BYTES = 20 * 2**20
MAX_RETRY_AFTER = 60.0
SYNC_BATCH = 200        # courses per stored batch


class SyncFailed(Exception):
    """The sync cannot go on (the server failed or answered garbage): it withdraws nothing."""


class NotAtEndpoint(SyncFailed):
    """The server answered 404: for one course's part that course is rejected and the sync goes
    on; for a collection (``/courses`` itself) the sync fails, once, saying so."""


@dataclass
class Politeness:
    requests_per_second: float = 2.0
    timeout_seconds: float = 10.0
    retries: int = 3
    retry_seconds: float = 2.0      # the first wait; each next one doubles
    page_size: int = 100            # one of OOAPI's 10, 20, 50, 100, 250
    max_pages: int = 10_000


class OoapiClient:
    """GETs against one registered base URL, spaced and retried as ``Politeness`` says.
    ``on_request`` is called after every answer (the sync's heartbeat)."""

    def __init__(self, base_url: str, authorization: str | None, politeness: Politeness,
                 on_request: Callable[[], None] = lambda: None, allow_loopback: bool = False):
        self.base_url, self.politeness, self.on_request = base_url.rstrip("/"), politeness, on_request
        self.session = guarded_session(allow_loopback)      # public addresses only, checked on every request
        self.session.headers.update({"Accept": "application/json", "User-Agent": "Scholingsalliantie-OOAPI-sync/1"})
        if authorization:
            self.session.headers["Authorization"] = authorization
        self.requests = 0
        self._next_at = 0.0

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: dict | None = None):
        """The JSON of ``base_url + path``: retried as politeness allows, else ``SyncFailed``;
        ``NotAtEndpoint`` for a 404."""
        url, p = self.base_url + path, self.politeness
        for attempt in range(p.retries + 1):
            wait = p.retry_seconds * 2 ** attempt
            self._wait_turn()
            try:
                response = self.session.get(url, params=params, timeout=p.timeout_seconds, allow_redirects=False,
                                            stream=True)
                body = _read_capped(response)
            except requests.RequestException as exc:
                problem = outbound_failure(exc)
                if problem.startswith("refused"):
                    raise SyncFailed(f"{url}: {problem}") from None
            else:
                self.on_request()
                if response.status_code == 200:
                    try:
                        return json.loads(body) if body else _garbage(url, "an empty body")
                    except ValueError:
                        _garbage(url, "not JSON")       # never the answer's bytes: they are not ours to show
                if response.status_code == 404:
                    raise NotAtEndpoint(f"{path}: 404 Not Found (is the base URL the OOAPI v5 root?)")
                if 300 <= response.status_code < 400:
                    raise SyncFailed(f"{url} redirects to {response.headers.get('Location')!r}: register the URL "
                                     f"it answers at (redirects are not followed)")
                problem = f"HTTP {response.status_code}"
                if response.status_code not in RETRIED_STATUSES:
                    raise SyncFailed(f"{url} answered {problem}"
                                     + (": check the authorization header" if response.status_code in (401, 403) else ""))
                wait = max(wait, _retry_after(response.headers.get("Retry-After")))
            if attempt < p.retries:
                log.info("OOAPI %s: %s, attempt %d of %d; again in %.1f s", url, problem, attempt + 1, p.retries + 1, wait)
                time.sleep(wait)
        raise SyncFailed(f"{url} failed {p.retries + 1} times; the last: {problem}")

    def pages(self, path: str, params: dict | None = None) -> Iterator[list]:
        """The ``items`` of every page of an OOAPI collection, page by page."""
        size = self.politeness.page_size
        for number in itertools.count(1):
            page = self.get(path, {**(params or {}), "pageSize": size, "pageNumber": number})
            items = page.get("items") if isinstance(page, dict) else None
            if not isinstance(items, list):
                _garbage(f"{path} page {number}", 'no "items" list: not an OOAPI page')
            yield items
            more = page.get("hasNextPage")
            if more is None:                         # not said: a full page may have a next one
                more = len(items) >= size
            if not isinstance(more, bool):
                _garbage(f"{path} page {number}", f"hasNextPage is {more!r}")
            if not more:
                return
            if not items:
                _garbage(f"{path} page {number}", "an empty page that says another follows")
            if number >= self.politeness.max_pages:
                raise SyncFailed(f"{path} has more than {number} pages of {size}: stopped")

    def _wait_turn(self) -> None:
        now = time.monotonic()
        if now < self._next_at:
            time.sleep(self._next_at - now)
        self._next_at = max(now, self._next_at) + 1.0 / self.politeness.requests_per_second
        self.requests += 1


def walk(client: OoapiClient, higher_education: str) -> Iterator[tuple[int, dict]]:
    """(position, course in our model) for every course of the endpoint, or (position, rejected
    item) for one that cannot be read. Raises ``SyncFailed`` when the endpoint itself fails."""
    number = 0
    for items in client.pages("/courses"):
        for item in items:
            number += 1
            yield number, _course(client, number, item, higher_education)


def rejected(number: int, item, message: str) -> dict:
    code = item.get("primaryCode") if isinstance(item, dict) else None
    return {"line": number, "external_id": (code.get("code") if isinstance(code, dict) else None) or None,
            "errors": [{"field": f"courses.{number - 1}", "message": message}]}


def _course(client: OoapiClient, number: int, item, higher_education: str) -> dict:
    if not isinstance(item, dict):
        return {"rejected": rejected(number, item, "not an object")}
    course_id = item.get("courseId")
    if not isinstance(course_id, str) or not course_id:
        return {"rejected": rejected(number, item, "no courseId: its offerings cannot be read")}
    path = f"/courses/{quote(course_id, safe='')}"
    try:
        if _sector_unknown(item):
            expanded = client.get(path, {"expand": "programs,educationSpecification"})
            if isinstance(expanded, dict):
                item = {**item, **expanded}
        offerings = [o for page in client.pages(f"{path}/offerings") for o in page]
        return ooapi_course({**item, "offerings": offerings}, higher_education)
    except NotAtEndpoint as exc:
        return {"rejected": rejected(number, item, f"the endpoint does not have it: {exc}")}
    except ArithmeticError:
        return {"rejected": rejected(number, item, "a priceInformation amount is not a number")}
    except (TypeError, AttributeError, ValueError) as exc:
        return {"rejected": rejected(number, item, f"not an OOAPI course: {type(exc).__name__}: {exc}")}


def _sector_unknown(item: dict) -> bool:
    """A bachelor or master whose hbo or wo the collection's item does not say: its expanded
    programs and education specification may (only ids are given unless expanded)."""
    if str(item.get("level") or "").lower() not in OOAPI_DEGREES:
        return False
    sources = [item, item.get("educationSpecification"), *(item.get("programs") or [])]
    return not any(isinstance(s, dict) and str(s.get("sector") or "").lower() in OOAPI_SECTORS for s in sources)


def _read_capped(response: requests.Response) -> bytes:
    """A page's body, read in chunks and refused past MAX_RESPONSE_BYTES."""
    body = bytearray()
    for chunk in response.iter_content(1 << 16):
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            response.close()
            raise SyncFailed(f"{response.url} answered more than {MAX_RESPONSE_BYTES // 2**20} MiB in one page")
    return bytes(body)


def _retry_after(value: str | None) -> float:
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value))) if value else 0.0
    except ValueError:
        return 0.0      # an HTTP date: the doubling wait instead


def _garbage(where: str, what: str):
    raise SyncFailed(f"{where} is not an OOAPI answer: {what}")


class SyncRun:
    """One sync of ``provider_id`` as import ``import_id``: walks the endpoint and stores what it
    finds through ``store_batch(items, seq, rejected)`` (the catalogue's import), keeping its
    hold on the endpoint alive through ``heartbeat()`` (False: the hold is lost). ``finish(failure)``
    closes the import (a full sync: withdraws what was not seen, unless it failed)."""

    def __init__(self, client: OoapiClient, higher_education: str, store_batch: Callable, heartbeat: Callable[[], bool],
                 finish: Callable, heartbeat_seconds: float = 10.0):
        self.client, self.higher_education = client, higher_education
        self.store_batch, self.heartbeat, self.finish = store_batch, heartbeat, finish
        self.heartbeat_seconds = heartbeat_seconds
        self._beat_at = time.monotonic()
        client.on_request = self._beat

    def run(self) -> dict:
        batch, rejected_items, seq = [], [], 0
        try:
            for number, course in walk(self.client, self.higher_education):
                if "rejected" in course:
                    rejected_items.append(course["rejected"])
                else:
                    batch.append({"line": number, "course": course})
                if len(batch) + len(rejected_items) >= SYNC_BATCH:
                    seq += 1
                    self.store_batch(batch, seq, rejected_items)
                    batch, rejected_items = [], []
            if batch or rejected_items:
                self.store_batch(batch, seq + 1, rejected_items)
        except SyncFailed as exc:
            log.warning("OOAPI sync failed after %d requests: %s", self.client.requests, exc)
            return self.finish(str(exc))
        finally:
            self.client.close()
        return self.finish(None)

    def _beat(self) -> None:
        if time.monotonic() - self._beat_at < self.heartbeat_seconds:
            return
        self._beat_at = time.monotonic()
        if not self.heartbeat():
            raise SyncFailed("the sync lost its hold: the endpoint was removed, or the sync took too long "
                             "without a word and another process took it over")
