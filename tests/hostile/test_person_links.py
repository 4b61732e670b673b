"""A person's link to their request, attacked with what others know (findings 2 and 5 of the
outside security test): the intake id reaches analysts, providers and the broker, so a token
computed from it with a key printed in this repository opened every person's file; and a second
POST with someone's Idempotency-Key and another body got the first person's token."""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from tests.e2e.test_intake import person


def from_the_id(key: str, intake_id: str) -> str:
    """The token as the platform once made it: HMAC-SHA256 of the id with the intake key."""
    digest = hmac.new(key.encode(), f"intake\x1f{intake_id}".encode(), hashlib.sha256).digest()
    return "int_" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_a_persons_token_cannot_be_computed_from_the_id(anonymous, teams, attack):
    answer = anonymous.post("/api/v1/intakes", json=person())
    assert answer.status_code == 201, answer.text
    intake_id, token = answer.json()["id"], answer.json()["token"]
    assert anonymous.get(f"/api/v1/intakes/{intake_id}/status", params={"token": token}).status_code == 200
    attack(name="2. a person's link computed from the intake id", tried="HMAC of the id with the public default key, "
           "on status, export and erase", held="404 on each: the token is random, only its keyed hash is stored")
    guessed = from_the_id("dev-intake-token-key", intake_id)
    assert guessed != token
    for path in ("status", "export"):
        assert anonymous.get(f"/api/v1/intakes/{intake_id}/{path}", params={"token": guessed}).status_code == 404
    assert anonymous.delete(f"/api/v1/intakes/{intake_id}", params={"token": guessed}).status_code == 404
    assert anonymous.get(f"/api/v1/intakes/{intake_id}/status", params={"token": token}).status_code == 200


def test_a_link_mailed_before_keeps_working(anonymous, teams, platform):
    """An intake stored with the hash of a token made the old way (from the id) still opens
    with that token: the hash is of what the person holds, however it was made."""
    import psycopg

    from services.chassis.settings import DEV_CREDENTIAL_KEY
    from services.chassis.tokens import credential_hash

    answer = anonymous.post("/api/v1/intakes", json=person())
    intake_id = answer.json()["id"]
    old = from_the_id("the-key-it-was-made-with", intake_id)
    with psycopg.connect(platform.env("intake")["DATABASE_URL"], autocommit=True) as db:
        db.execute("UPDATE intakes SET token_hash = %s WHERE id = %s", (credential_hash(DEV_CREDENTIAL_KEY, old), intake_id))
    assert anonymous.get(f"/api/v1/intakes/{intake_id}/status", params={"token": old}).status_code == 200


def test_an_idempotency_key_with_another_body_gets_no_token(anonymous, teams, attack):
    key, body = f"poging-{uuid.uuid4().hex}", person()
    first = anonymous.post("/api/v1/intakes", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    someone_else = anonymous.post("/api/v1/intakes", json=person(), headers={"Idempotency-Key": key})
    assert someone_else.status_code == 422, someone_else.text
    assert someone_else.json()["errors"][0]["field"] == "Idempotency-Key"
    assert first.json()["token"] not in someone_else.text
    # the first request again (a retry after a dropped connection) is still answered as before
    again = anonymous.post("/api/v1/intakes", json=body, headers={"Idempotency-Key": key})
    assert again.status_code in (200, 201) and again.json()["id"] == first.json()["id"]
    assert again.json()["token"] == first.json()["token"]
    attack(name="5. Idempotency-Key replays another person's answer", tried="the first request's key with another body",
           held="422 naming Idempotency-Key, no token; the same body again gets its own answer")
