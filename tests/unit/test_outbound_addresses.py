"""Calls the platform makes for a provider (webhooks, OOAPI) reach public addresses only (finding 6
of the outside security test: production called 127.0.0.1, 10.x, 169.254.169.254, [::1],
0.0.0.0 and 2130706433, and the sync's errors echoed the answer's first bytes). Checked against a
real HTTP server on this machine: with loopback not allowed, not one request reaches it."""
from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from services.chassis.urls import address_problem, guarded_session, outbound_failure, outbound_url_problem


class Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"items": []}')

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Counting.hits = 0
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]"])
def test_loopback_in_any_form_is_refused_and_never_reached(server, host):
    session = guarded_session(allow_loopback=False)
    with pytest.raises(requests.ConnectionError) as refused:
        session.get(f"http://{host}:{server}/courses", timeout=5)
    assert outbound_failure(refused.value) == "refused: the host is not a public address"
    assert Counting.hits == 0


def test_loopback_is_reached_only_when_allowed(server):
    assert guarded_session(allow_loopback=True).get(f"http://127.0.0.1:{server}/courses", timeout=5).status_code == 200
    assert Counting.hits == 1


@pytest.mark.parametrize("address", ["10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "0.0.0.0",
                                     "fe80::1", "fc00::1", "224.0.0.1", "240.0.0.1", "100.64.0.1", "::ffff:10.0.0.1"])
def test_addresses_that_are_not_public_are_refused(address):
    assert address_problem(ipaddress.ip_address(address), allow_loopback=True) is not None


@pytest.mark.parametrize("address", ["145.97.39.155", "2001:610:188:410::155"])
def test_public_addresses_are_fine(address):
    assert address_problem(ipaddress.ip_address(address), allow_loopback=False) is None


@pytest.mark.parametrize("url, problem", [
    ("https://169.254.169.254/latest/meta-data", "is not a public address"),
    ("https://10.1.2.3/ooapi", "is not a public address"),
    ("https://2130706433/ooapi", "(loopback)"),
    ("https://[::1]/ooapi", "(loopback)"),
    ("https://0.0.0.0/ooapi", "is not a public address"),
    ("https://roc.example.nl/ooapi#/../../admin", "must not carry a fragment"),
    ("https://user@roc.example.nl/ooapi", "must not carry a user name or password"),
])
def test_production_refuses_such_urls_when_given(url, problem):
    assert problem in (outbound_url_problem(url, "production") or "")


def test_a_timeout_is_told_as_such():
    assert outbound_failure(requests.Timeout("read timed out at 10.0.0.5:8080")) == "timed out"
    assert outbound_failure(requests.ConnectionError("[Errno 111] Connection refused 10.0.0.5")) == "could not connect"
