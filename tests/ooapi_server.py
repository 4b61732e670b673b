"""A small OOAPI v5 server for the sync tests, run in the test process: ``/courses`` and
``/courses/{courseId}/offerings`` in spec-shaped pages (pageSize, pageNumber, hasPreviousPage,
hasNextPage, totalPages, items), ``/courses/{courseId}?expand=...`` for a course's programs. It
keeps every request it got, and a test scripts its failures: a status for the next requests of a
path, every request failing after a number of them, a body that is not JSON."""
from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

from tests.receivers import HttpServer, QuietHandler


class OoapiServer(HttpServer):
    def __init__(self, courses: list[dict], offerings: dict[str, list[dict]], expanded: dict[str, dict] | None = None):
        self.courses, self.offerings, self.expanded = courses, offerings, expanded or {}
        self.requests: list[dict] = []
        self.scripted: dict[str, list[tuple[int, dict]]] = {}    # path -> (status, headers) to answer next
        self.fail_after: int | None = None      # every request after this many answers 500
        self.garbage: set[str] = set()           # paths answered with HTML
        self.lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with server.lock:
                    server.requests.append({"path": parts.path, "query": query, "at": time.monotonic(),
                                            "authorization": self.headers.get("Authorization")})
                    count = len(server.requests)
                    scripted = server.scripted.get(parts.path)
                    status, headers = scripted.pop(0) if scripted else (None, {})
                if status is None and server.fail_after is not None and count > server.fail_after:
                    status = 500
                if status is not None:
                    return self._answer(status, b'{"error": "scripted"}', headers)
                if parts.path in server.garbage:
                    return self._answer(200, b"<html><body>Onderhoud</body></html>", {"Content-Type": "text/html"})
                found = server.answer(parts.path, query)
                if found is None:
                    return self._answer(404, b'{"title": "Not Found"}')
                self._answer(200, json.dumps(found).encode())

            def _answer(self, status: int, body: bytes, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ooapi/v5"

    def answer(self, path: str, query: dict):
        prefix = "/ooapi/v5"
        if not path.startswith(prefix):
            return None
        parts = [unquote(p) for p in path[len(prefix):].strip("/").split("/")]
        if parts == ["courses"]:
            return _page(self.courses, query)
        if len(parts) == 2 and parts[0] == "courses":
            course = next((c for c in self.courses if c["courseId"] == parts[1]), None)
            if course is None:
                return None
            return {**course, **(self.expanded.get(parts[1], {}) if "expand" in query else {})}
        if len(parts) == 3 and parts[0] == "courses" and parts[2] == "offerings" and parts[1] in self.offerings:
            return _page(self.offerings[parts[1]], query)
        return None

    def paths(self) -> list[str]:
        with self.lock:
            return [r["path"] for r in self.requests]


def _page(items: list, query: dict) -> dict:
    size, number = int(query.get("pageSize", 10)), int(query.get("pageNumber", 1))
    total_pages = max(1, -(-len(items) // size))
    return {"pageSize": size, "pageNumber": number, "hasPreviousPage": number > 1,
            "hasNextPage": number < total_pages, "totalPages": total_pages,
            "items": items[(number - 1) * size:number * size]}
