"""The gateway attacked from outside with what anyone has: made-up credentials, slow
connections, big forms (findings 3, 4 and 7 of the outside security test)."""
from __future__ import annotations

import select
import socket
import time
import uuid
from urllib.parse import urlparse

from tests.e2e.test_rate_limits import client_from, gateway_with


def test_a_made_up_credential_is_not_a_new_client(platform, provider, attack):
    """Rotating ``Bearer junk-<uuid>`` got past every limit: a credential counted as the client
    before anyone checked it. Now the address is the client until a credential is verified."""
    with gateway_with(platform, RATE_LIMIT_PER_MINUTE="60", RATE_LIMIT_BURST="5"):
        attacker = client_from(platform, "127.0.0.3")
        statuses = [attacker.request("GET", "/api/v1/search?q=heftruck",
                                     headers={"Authorization": f"Bearer junk-{uuid.uuid4()}"}).status
                    for _ in range(8)]
        assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}, statuses
        # a real key from the same address is a client of its own
        assert attacker.request("GET", "/api/v1/providers/me/courses",
                                headers={"Authorization": f"Bearer {provider.token}"}).status == 200
        # a protected route with a made-up key: still 401 (when the address has tokens), never a new bucket
        other = client_from(platform, "127.0.0.4")
        assert other.request("GET", "/api/v1/providers/me/courses",
                             headers={"Authorization": "Bearer made-up"}).status == 401
    attack(name="7. rate limits skipped with made-up credentials", tried="8 searches, each with a new 'Bearer junk-<uuid>'",
           held="429 after the burst: an unverified credential counts as its address")


def _rss_kib(pid: int) -> int:
    status = open(f"/proc/{pid}/status").read()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def test_fifty_slow_clients_do_not_stop_the_gateway(platform, anonymous, attack):
    """Twelve connections announcing a body and sending a few bytes held every worker and /health
    stopped answering. A body is read before a worker takes the request, within its deadline."""
    where = urlparse(platform.url)
    slow = []
    try:
        for n in range(50):
            conn = socket.create_connection((where.hostname, where.port), timeout=30)
            path = "/api/v1/intakes" if n % 2 else "/aanvragen"
            conn.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         f"Content-Length: 1000\r\n\r\n{{".encode())
            slow.append(conn)
        time.sleep(0.5)
        for path in ("/health", "/api/v1/search?q=heftruck"):
            started = time.monotonic()
            assert anonymous.get(path, timeout=5).status_code == 200
            assert time.monotonic() - started < 1.0, path
        attack(name="3. slow clients hold the gateway's workers", tried="50 connections announcing 1000 bytes, sending 1",
               held="/health and a search answer within a second: bodies are read before a worker takes them")
    finally:
        for conn in slow:
            conn.close()


def test_a_byte_a_second_does_not_keep_a_request_open(platform, attack):
    """SOCKET_TIMEOUT_SECONDS is per read: a client sending a byte every second stayed for hours.
    A request has REQUEST_DEADLINE_SECONDS (10 on the test platform) for its head and body."""
    where = urlparse(platform.url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as conn:
        conn.sendall(b"POST /api/v1/intakes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        started, answer = time.monotonic(), b""
        while time.monotonic() - started < 25:
            try:
                conn.sendall(b" ")
            except OSError:
                break
            readable, _, _ = select.select([conn], [], [], 1.0)
            if readable:
                answer = conn.recv(4096)
                break
        assert time.monotonic() - started < 14, "still open after the deadline"
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:100]
    attack(name="3. a byte a second keeps a request open", tried="a body sent one byte a second",
           held="cut off at REQUEST_DEADLINE_SECONDS for head and body together")


def test_an_anonymous_upload_is_not_read_and_a_big_form_is_a_413_page(platform, anonymous, attack):
    gateway = platform.procs["gateway"].pid
    before = _rss_kib(gateway)
    big = b"x" * (40 * 1024 * 1024)
    answer = anonymous.post("/aanbieders/import", files={"file": ("cursussen.csv", big, "text/csv")},
                            data={"format": "csv", "csrf": "x"}, allow_redirects=False)
    assert answer.status_code in (303, 302), answer.status_code
    assert _rss_kib(gateway) - before < 20 * 1024, "the gateway read an anonymous upload"
    form = anonymous.post("/aanvragen", data={"name": "x" * (2 * 1024 * 1024), "csrf": "x"})
    assert form.status_code == 413 and form.headers["Content-Type"].startswith("text/html")
    assert "te groot" in form.text
    attack(name="4. anonymous memory use through page forms", tried="a 40 MiB upload to /aanbieders/import unsigned, "
           "a 2 MiB form", held="the upload is not read (RSS +<20 MB), the form is a 413 page in Dutch")
