"""The platform behind a TLS proxy, and its page sessions (finding 11 of the outside security
test): cookies never got Secure, there was no HSTS, every client shared the proxy's address, and
the page session cookie held the raw API key or advisor token."""
from __future__ import annotations

import ipaddress
import secrets
import uuid

import requests

from services.gateway.http import behind_proxy
from tests.e2e.test_rate_limits import client_from, gateway_with
from tests.infra import form_token

PROXY = "127.0.0.5"


def signed_in_browser(platform, area: str, token: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{platform.url}/{area}")
    answer = browser.post(f"{platform.url}/{area}/inloggen", data={"csrf": form_token(form.text), "token": token},
                          allow_redirects=False)
    assert answer.status_code == 303, answer.text[:300]
    return browser


def test_the_session_cookie_is_not_the_credential_and_signing_out_ends_it(platform, provider, attack):
    browser = signed_in_browser(platform, "aanbieders", provider.token)
    cookie = browser.cookies.get("sa_provider")
    assert cookie and provider.token not in cookie
    assert 'type="password"' not in browser.get(f"{platform.url}/aanbieders").text
    stolen = dict(browser.cookies)
    home = browser.get(f"{platform.url}/aanbieders")
    assert browser.post(f"{platform.url}/uitloggen", data={"csrf": form_token(home.text)},
                        allow_redirects=False).status_code == 303
    # the cookie as it was before signing out (copied by someone) opens nothing any more
    again = requests.get(f"{platform.url}/aanbieders", cookies=stolen)
    assert again.status_code == 200 and 'type="password"' in again.text
    attack(name="11. the session cookie is the API key", tried="reading the cookie; reusing it after signing out",
           held="a random session id; after signing out it opens nothing")


def test_revoking_an_advisor_ends_their_page_session(platform, admin, teams):
    made = admin.post("/api/v1/advisors", json={"name": "Tijdelijk", "email": f"t{uuid.uuid4().hex[:6]}@loket.nl",
                                                "team": "noord"}).json()
    browser = signed_in_browser(platform, "adviseurs", made["token"])
    assert made["token"] not in browser.cookies.get("sa_advisor")
    assert 'type="password"' not in browser.get(f"{platform.url}/adviseurs").text
    assert admin.delete(f"/api/v1/advisors/{made['id']}").status_code == 204
    assert 'type="password"' in browser.get(f"{platform.url}/adviseurs").text


def test_behind_a_trusted_proxy_clients_are_told_apart_and_production_is_https_only(platform, anonymous, attack):
    admin_token = secrets.token_urlsafe(32)
    # (the test's OpenID provider is http: production would refuse it, so it is left off here)
    with gateway_with(platform, APP_ENV="production", ADMIN_TOKEN=admin_token, TRUSTED_PROXIES=PROXY,
                      RATE_LIMIT_PER_MINUTE="60", RATE_LIMIT_BURST="3", OIDC_ISSUER="", OIDC_CLIENT_ID="",
                      OIDC_CLIENT_SECRET=""):
        proxy, stranger = client_from(platform, PROXY), client_from(platform, "127.0.0.6")

        def through_proxy(client_address: str):
            return proxy.request("GET", "/api/v1/search?q=heftruck", headers={
                "X-Forwarded-For": f"6.6.6.6, {client_address}", "X-Forwarded-Proto": "https"}).status
        # two people behind the proxy each have their own allowance (the first hop is the client's own word)
        assert [through_proxy("203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
        assert through_proxy("203.0.113.8") == 200
        # a client that is not the proxy cannot choose its address with the header
        spoofed = [stranger.request("GET", "/api/v1/search?q=heftruck",
                                    headers={"X-Forwarded-For": f"198.51.100.{n}"}).status for n in range(4)]
        assert spoofed == [200, 200, 200, 429]
        page = proxy.request("GET", "/", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "secure" in page.headers["Set-Cookie"].lower()
        plain = stranger.request("GET", "/")          # production: Secure even when asked over http
        assert "secure" in plain.headers["Set-Cookie"].lower()
        assert stranger.request("GET", "/health").headers.get("Strict-Transport-Security")
    attack(name="11. behind a TLS proxy", tried="two clients through the proxy; X-Forwarded-For from a stranger",
           held="each client its own limit, the stranger's header ignored; HSTS and Secure cookies in production")


def test_forwarded_headers_count_only_from_the_proxies():
    trusted = [ipaddress.ip_network("10.0.0.0/8")]
    environ = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5, 10.9.9.9",
               "HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http"}
    behind_proxy(environ, trusted)
    assert environ["REMOTE_ADDR"] == "203.0.113.5" and environ["wsgi.url_scheme"] == "https"
    direct = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4", "HTTP_X_FORWARDED_PROTO": "https",
              "wsgi.url_scheme": "http"}
    behind_proxy(direct, trusted)
    assert direct["REMOTE_ADDR"] == "203.0.113.5" and direct["wsgi.url_scheme"] == "http"
    garbage = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "<script>", "wsgi.url_scheme": "http"}
    behind_proxy(garbage, trusted)
    assert garbage["REMOTE_ADDR"] == "10.1.2.3"
