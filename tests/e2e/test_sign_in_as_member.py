"""Staff sign in as themselves, with a real OpenID provider (npm's oidc-provider, started by the
test set-up): a beheerder invites people of their organisation by address, a person's first
sign-in with that (verified) address makes them a member, removing them ends their access on
their next request, and an answer of the provider that is not this browser's own sign-in (a
forged or replayed state, another nonce) signs no one in."""
from __future__ import annotations

import base64
import json
import re
import uuid
from urllib.parse import parse_qs, urljoin, urlparse

import psycopg
import pytest
import requests

from tests.conftest import Client
from tests.infra import ADMIN_TOKEN, form_token

RETURN = "/inloggen/terug"


def address() -> str:
    return f"anna.{uuid.uuid4().hex[:8]}@opleider.example.nl"


def named(email: str) -> str:
    """The name the test provider gives the owner of ``email`` (its words, capitalised)."""
    return " ".join(word[:1].upper() + word[1:] for word in re.split(r"[._-]", email.split("@")[0]) if word)


def to_the_return(http: requests.Session, platform, home: str, login: str) -> str:
    """A sign-in started on ``home``'s sign-in page and done at the provider as ``login``: the
    address the provider sends the browser back to (not yet followed)."""
    answer = http.get(f"{platform.url}{home}/inloggen/organisatie", allow_redirects=False)
    assert answer.status_code == 303, answer.text
    url = answer.headers["Location"]
    assert url.startswith(platform.openid.issuer + "/auth?")
    asked = parse_qs(urlparse(url).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"] and asked["nonce"]
    form = None
    for _ in range(10):
        if url.startswith(platform.url):
            return url
        answer = http.get(url, allow_redirects=False) if form is None else form
        form = None
        if answer.status_code in (302, 303):
            url = urljoin(url, answer.headers["Location"])
            continue
        action = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
        assert action, answer.text[:500]
        form = http.post(urljoin(url, action.group(1)), data={"prompt": "login", "login": login, "password": "x"},
                         allow_redirects=False)
    raise AssertionError(f"the provider never sent the browser back (last at {url})")


def sign_in(platform, home: str, login: str) -> tuple[requests.Session, requests.Response]:
    http = requests.Session()
    back = to_the_return(http, platform, home, login)
    return http, http.get(back, allow_redirects=False)


def invite(platform, organisation_path: str, email: str, role: str = "medewerker", token: str = ADMIN_TOKEN):
    answer = Client(platform.url, token).post(f"{organisation_path}/members", json={"email": email, "role": role})
    assert answer.status_code == 201, answer.text
    return answer.json()


def signed_in_page(http, platform, home: str) -> str:
    return http.get(f"{platform.url}{home}", allow_redirects=False).text


def test_an_invited_person_signs_in_as_themselves_and_out(platform, provider):
    email = address()
    member = invite(platform, f"/api/v1/providers/{provider.id}", email.upper(), "beheerder")
    assert member["email"] == email and member["role"] == "beheerder" and member["last_signed_in_at"] is None

    http, answer = sign_in(platform, "/aanbieders", email)
    assert answer.status_code == 200 and "Je bent ingelogd" in answer.text
    assert 'http-equiv="refresh" content="0; url=/aanbieders"' in answer.text
    assert "sa_provider" in answer.headers["Set-Cookie"] and "SameSite=Strict" in answer.headers["Set-Cookie"]
    home = signed_in_page(http, platform, "/aanbieders")
    assert "Ingelogd als" in home and "Anna" in home and "beheerder" in home
    assert "/aanbieders/leden" in home

    listed = Client(platform.url, ADMIN_TOKEN).get(f"/api/v1/providers/{provider.id}/members").json()
    (me,) = [m for m in listed["members"] if m["email"] == email]
    assert me["name"].startswith("Anna") and me["last_signed_in_at"].endswith("+00:00")
    assert [entry["what"] for entry in listed["log"]][:2] == ["signed_in", "invited_beheerder"]

    session = http.cookies.get("sa_provider", domain="127.0.0.1") or http.cookies["sa_provider"]
    answer = http.post(f"{platform.url}/uitloggen", data={"csrf": form_token(home)}, allow_redirects=False)
    assert answer.status_code == 303
    assert "Inloggen voor aanbieders" in signed_in_page(http, platform, "/aanbieders")
    # the session ended where it is kept: the old cookie, sent again, signs no one in
    stale = requests.get(f"{platform.url}/aanbieders", cookies={"sa_provider": session})
    assert "Inloggen voor aanbieders" in stale.text


def test_someone_not_invited_is_told_to_ask_for_an_invitation(platform):
    http, answer = sign_in(platform, "/adviseurs", address())
    assert answer.status_code == 401
    assert "geen lid" in answer.text and "uit te nodigen" in answer.text
    assert "sa_advisor" not in answer.headers.get("Set-Cookie", "")


def test_an_address_the_provider_did_not_verify_is_not_enough(platform, provider):
    email = address()
    invite(platform, f"/api/v1/providers/{provider.id}", email)
    http, answer = sign_in(platform, "/aanbieders", f"unverified:{email}")
    assert answer.status_code == 401 and "geen lid" in answer.text
    listed = Client(platform.url, ADMIN_TOKEN).get(f"/api/v1/providers/{provider.id}/members").json()
    assert [m["last_signed_in_at"] for m in listed["members"] if m["email"] == email] == [None]


def test_a_removed_member_loses_access_on_their_next_request(platform, teams):
    email = address()
    member = invite(platform, "/api/v1/advisor-teams/noord", email)
    http, answer = sign_in(platform, "/adviseurs", email)
    assert answer.status_code == 200
    assert "Aanvragen van je team" in signed_in_page(http, platform, "/adviseurs")

    gone = Client(platform.url, ADMIN_TOKEN).delete(f"/api/v1/advisor-teams/noord/members/{member['id']}")
    assert gone.status_code == 204
    assert "Inloggen voor adviseurs" in signed_in_page(http, platform, "/adviseurs")
    # and signing in again does not let them back in
    http, answer = sign_in(platform, "/adviseurs", email)
    assert answer.status_code == 401


def test_an_expired_session_signs_no_one_in(platform):
    email = address()
    invite(platform, "/api/v1/analysts", email)
    http, answer = sign_in(platform, "/analyse", email)
    assert answer.status_code == 200
    assert "Vraag naar scholing" in signed_in_page(http, platform, "/analyse")
    with psycopg.connect(platform.db_urls["analytics"], autocommit=True) as conn:
        ended = conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second' "
                             "WHERE credential_hash = 'member:' || %s", (next(
                                 m["id"] for m in Client(platform.url, ADMIN_TOKEN).get("/api/v1/analysts/members")
                                 .json()["members"] if m["email"] == email),)).rowcount
    assert ended == 1
    assert "Inloggen voor analisten" in signed_in_page(http, platform, "/analyse")


def _kept(http) -> dict:
    return json.loads(base64.urlsafe_b64decode(http.cookies["sa_oidc"]))


def invited_at_the_return(platform, provider) -> tuple[requests.Session, str]:
    """A new member of ``provider`` signed in at the provider: their browser, and the address the
    provider sends it back to (not yet followed)."""
    email = address()
    invite(platform, f"/api/v1/providers/{provider.id}", email)
    http = requests.Session()
    return http, to_the_return(http, platform, "/aanbieders", email)


def signs_no_one_in(answer: requests.Response) -> bool:
    return answer.status_code == 401 and "sa_provider" not in answer.headers.get("Set-Cookie", "")


def test_a_forged_state_signs_no_one_in(platform, provider):
    http, back = invited_at_the_return(platform, provider)
    forged = re.sub(r"state=[^&]+", "state=" + "x" * 43, back)
    answer = http.get(forged, allow_redirects=False)
    assert signs_no_one_in(answer) and "niet gelukt" in answer.text
    # the browser's sign-in is over: the real answer after the forged one is refused too
    assert http.get(back, allow_redirects=False).status_code == 401


def test_the_answer_of_another_browser_s_sign_in_is_refused(platform, provider):
    """Login CSRF: an attacker's own sign-in answer, sent to a victim's browser, does not sign the
    victim in as the attacker (the state is the attacker's, not the victim's)."""
    _, back = invited_at_the_return(platform, provider)       # the attacker's
    victim = requests.Session()
    victim.get(f"{platform.url}/aanbieders/inloggen/organisatie", allow_redirects=False)   # the victim's own flow
    assert signs_no_one_in(victim.get(back, allow_redirects=False))


def test_a_replayed_answer_signs_no_one_in(platform, provider):
    http, back = invited_at_the_return(platform, provider)
    kept = http.cookies["sa_oidc"]
    assert http.get(back, allow_redirects=False).status_code == 200
    # the same answer again: the browser's flow is over (its cookie was deleted) ...
    assert signs_no_one_in(requests.get(back, allow_redirects=False))
    # ... and with a copy of that cookie, the provider refuses the code it already exchanged
    assert signs_no_one_in(requests.get(back, cookies={"sa_oidc": kept}, allow_redirects=False))


def test_an_id_token_for_another_nonce_is_refused(platform, provider):
    http, back = invited_at_the_return(platform, provider)
    other = base64.urlsafe_b64encode(json.dumps({**_kept(http), "nonce": "n" * 43}).encode()).decode()
    assert signs_no_one_in(requests.get(back, cookies={"sa_oidc": other}, allow_redirects=False))
    assert "nonce" in platform.log_tail("gateway", 20)


def test_a_beheerder_invites_and_removes_on_the_page_and_a_medewerker_cannot(platform, provider):
    boss, worker = address(), address()
    invite(platform, f"/api/v1/providers/{provider.id}", boss, "beheerder")
    http, _ = sign_in(platform, "/aanbieders", boss)
    page = http.get(f"{platform.url}/aanbieders/leden").text
    assert "Iemand uitnodigen" in page
    bad = http.post(f"{platform.url}/aanbieders/leden", data={"csrf": form_token(page), "email": "geen adres",
                                                               "role": "medewerker"})
    assert bad.status_code == 400 and "naam@voorbeeld.nl" in bad.text and 'id="email-error"' in bad.text
    added = http.post(f"{platform.url}/aanbieders/leden", data={"csrf": form_token(page), "email": worker,
                                                                 "role": "medewerker"})
    assert added.status_code == 200 and "Uitgenodigd" in added.text and worker in added.text
    twice = http.post(f"{platform.url}/aanbieders/leden", data={"csrf": form_token(page), "email": worker,
                                                                 "role": "medewerker"})
    assert twice.status_code == 409 and "al lid" in twice.text

    colleague, _ = sign_in(platform, "/aanbieders", worker)
    theirs = colleague.get(f"{platform.url}/aanbieders/leden").text
    assert worker in theirs and "Iemand uitnodigen" not in theirs and "(medewerker)" in theirs
    refused = colleague.post(f"{platform.url}/aanbieders/leden", data={"csrf": form_token(theirs), "email": address()})
    assert refused.status_code == 403 and "Alleen een beheerder" in refused.text

    listed = Client(platform.url, ADMIN_TOKEN).get(f"/api/v1/providers/{provider.id}/members").json()
    worker_id = next(m["id"] for m in listed["members"] if m["email"] == worker)
    gone = http.post(f"{platform.url}/aanbieders/leden", data={"csrf": form_token(page), "verwijder": worker_id})
    assert gone.status_code == 200 and "Verwijderd" in gone.text
    assert "Inloggen voor aanbieders" in colleague.get(f"{platform.url}/aanbieders").text
    log = Client(platform.url, ADMIN_TOKEN).get(f"/api/v1/providers/{provider.id}/members").json()["log"]
    assert {"who": next(m["name"] for m in listed["members"] if m["email"] == boss), "what": "removed",
            "email": worker} == {k: log[0][k] for k in ("who", "what", "email")}


def test_members_on_the_api(platform, provider, teams):
    path = f"/api/v1/providers/{provider.id}/members"
    bad = provider.post(path, json={"email": "geen adres", "role": "baas"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"email", "role"}
    email = address()
    assert provider.post(path, json={"email": email}).status_code == 201      # the provider's own key may
    assert provider.post(path, json={"email": email}).status_code == 409
    other = Client(platform.url, ADMIN_TOKEN).post("/api/v1/providers", json={"name": "Ander", "kind": "opleider"}).json()
    assert provider.post(f"/api/v1/providers/{other['id']}/members", json={"email": address()}).status_code == 403
    # an advisor's token is one person's, not the team's: it manages no members
    assert teams["noord"].post("/api/v1/advisor-teams/noord/members", json={"email": address()}).status_code == 403
    assert teams["noord"].get("/api/v1/advisor-teams/noord/members").status_code == 200
    assert teams["noord"].get("/api/v1/advisor-teams/zuid/members").status_code == 403
    assert Client(platform.url).get(path).status_code == 401
    assert provider.delete(f"{path}/{uuid.uuid4()}").status_code == 404


def test_what_a_member_reads_and_changes_is_logged_with_their_name(platform, provider, teams):
    from tests.e2e.test_intake import person, published_course

    email = address()
    invite(platform, "/api/v1/advisor-teams/noord", email)
    advisor, _ = sign_in(platform, "/adviseurs", email)
    intake = Client(platform.url).post("/api/v1/intakes", json=person(postcode="9712 CP")).json()
    assert advisor.get(f"{platform.url}/adviseurs/intakes/{intake['id']}").status_code == 200
    export = Client(platform.url).get(f"/api/v1/intakes/{intake['id']}/export", params={"token": intake["token"]}).json()
    assert {"who": named(email), "role": "advisor"} in [{"who": e["who"], "role": e["role"]} for e in export["access_log"]]

    # a provider's staff member reads a lead: the person's log names them, for the provider
    course = published_course(provider, platform)
    member = invite(platform, f"/api/v1/providers/{provider.id}", address())
    staff, _ = sign_in(platform, "/aanbieders", member["email"])
    lead = Client(platform.url).post("/api/v1/intakes", json=person(course_id=course["id"], share_with_provider=True)).json()
    assert staff.get(f"{platform.url}/aanbieders/leads/{lead['id']}").status_code == 200
    export = Client(platform.url).get(f"/api/v1/intakes/{lead['id']}/export", params={"token": lead["token"]}).json()
    provider_name = next(p["name"] for p in Client(platform.url, ADMIN_TOKEN).get("/api/v1/providers").json()["items"]
                         if p["id"] == provider.id)
    assert {"who": f"{named(member['email'])} ({provider_name})", "role": "provider"} in [
        {"who": e["who"], "role": e["role"]} for e in export["access_log"]]

    # and withdraws a course on the page: the course's history names them
    asks = staff.get(f"{platform.url}/aanbieders/opleidingen/{course['id']}/terugtrekken").text
    assert staff.post(f"{platform.url}/aanbieders/opleidingen/{course['id']}/terugtrekken",
                      data={"csrf": form_token(asks)}, allow_redirects=False).status_code == 303
    history = provider.get(f"/api/v1/courses/{course['id']}/history").json()["items"]
    assert history[-1]["action"] == "withdraw"
    assert history[-1]["actor"] == f"provider:{provider.id}:member:{member['id']}"


def test_a_key_shows_who_made_it_and_when_it_was_last_used(platform, provider):
    admin = Client(platform.url, ADMIN_TOKEN)

    def key_of() -> dict:
        return next(p for p in admin.get("/api/v1/providers").json()["items"] if p["id"] == provider.id)

    assert key_of()["key_made_by"] == "admin" and key_of()["key_last_used_at"] is None
    assert provider.get("/api/v1/providers/me/courses").status_code == 200
    used = key_of()["key_last_used_at"]
    assert used is not None and used.endswith("+00:00")

    rotated = provider.post("/api/v1/providers/me/api-key")
    assert rotated.status_code == 201
    assert key_of()["key_made_by"] == f"provider:{provider.id}" and key_of()["key_last_used_at"] is None

    member = invite(platform, f"/api/v1/providers/{provider.id}", address(), "beheerder")
    http, _ = sign_in(platform, "/aanbieders", member["email"])
    home = http.get(f"{platform.url}/aanbieders").text
    assert "Jullie API-sleutel" in home and "Laatst gebruikt: nog nooit" in home
