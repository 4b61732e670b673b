"""A file of junk must not become a memory and an answer many times its size (finding 10 of the
outside security test: 195 KiB of unreadable lines cost 73 MB of the gateway and came back as a
13.6 MB answer), and an OOAPI document is parsed as it arrives, not read whole."""
from __future__ import annotations

import io
import json

from services.gateway import import_formats


def _rss_kib(pid: int) -> int:
    status = open(f"/proc/{pid}/status").read()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def test_junk_lines_are_counted_not_echoed(platform, provider, attack):
    junk = b"".join(b"{" + str(n).encode() + b"\n" for n in range(40_000))       # 40,000 unreadable lines
    before = _rss_kib(platform.procs["gateway"].pid)
    answer = provider.post("/api/v1/courses/import?format=ndjson", data=junk,
                           headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text[:300]
    report = answer.json()
    assert report["accepted"] == 0 and report["rejected_total"] == 40_000
    assert len(report["rejected"]) == 1000 and report["rejected"][0]["line"] == 1
    assert len(answer.content) < 30 * len(junk), "the answer is many times the file"
    assert _rss_kib(platform.procs["gateway"].pid) - before < 40 * 1024
    attack(name="10. rejected lines amplify memory", tried="40,000 unreadable NDJSON lines",
           held="1,000 listed and all counted; the answer and the gateway's memory stay small")


class Trickle:
    """An OOAPI document handed out in small pieces, counting how far it was read."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, size=-1):
        size = 4096 if size is None or size < 0 else min(size, 4096)
        chunk, self.at = self.data[self.at:self.at + size], self.at + size
        return chunk


def test_an_ooapi_document_is_read_an_item_at_a_time():
    items = [{"courseId": f"c{n}", "name": [{"language": "nl-NL", "value": f"Cursus {n}"}]} for n in range(2000)]
    data = json.dumps({"pageSize": 2000, "items": items}).encode()
    stream = Trickle(data)
    reader = import_formats.read_ooapi(stream)
    number, first = next(reader)
    assert number == 1 and stream.at < len(data) // 4, "the whole document was read before the first item"
    assert sum(1 for _ in reader) == 1999


def test_an_ooapi_document_that_is_no_courses_response_says_so():
    for body, message in ((b'{"pageSize": 1}', '"items" list'), (b'{"items": {"a": 1}}', '"items" list'),
                          (b'{"items": [1, {"x": 2}', "not valid JSON"), (b"<html>", "not valid JSON")):
        found = list(import_formats.read_ooapi(io.BytesIO(body)))
        assert any(message in str(e) for _, e in found if isinstance(e, import_formats.ParseError)), \
            (body, found)
