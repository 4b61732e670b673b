"""Schemathesis against the gateway's own /openapi.json: every operation, with requests generated
from the document (valid and not), sent anonymously and with each role's credentials. No answer
may be a 5xx, and every answer must keep to what the document says of it (a status it lists, its
schema, its content type, its headers).

Left out: the event stream (it never ends; tests/e2e/test_analytics.py reads it) and a provider
rotating its own key (the role would be locked out for the rest; the access table covers it)."""
from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from tests.contract.test_api_design_rules import served_document
from tests.conftest import Client
from tests.infra import ADMIN_TOKEN

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance,
          response_headers_conformance]
EXAMPLES = 6


@pytest.fixture(scope="module")
def credentials(platform, teams):
    """A token of every role (None: anonymous)."""
    admin = Client(platform.url, ADMIN_TOKEN)
    keys = {}
    for role, kind in (("provider_a", "oo-fonds"), ("provider_b", "opleider")):
        answer = admin.post("/api/v1/providers", json={"name": f"Fuzz {uuid.uuid4().hex[:6]}", "kind": kind})
        keys[role] = answer.json()["api_key"]
    analyst = admin.post("/api/v1/analysts", json={"name": "Fuzz", "email": "fuzz@example.nl"}).json()["token"]
    return {"anonymous": None, **keys, "advisor_north": teams["noord"].token, "advisor_south": teams["zuid"].token,
            "analyst": analyst, "admin": ADMIN_TOKEN}


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value) -> bytes:
    """An import's body: what was generated, as lines (the document calls it a string)."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else str(value).encode()


# the document the gateway serves as /openapi.json (the first test checks they are one), read at
# collection so that each operation is a test of its own
schema = schemathesis.openapi.from_dict(served_document())


def test_the_document_is_the_one_served(anonymous, platform):
    assert anonymous.get("/openapi.json").json() == served_document(public_base_url=platform.url)



@schema.exclude(path="/api/v1/events/stream").exclude(method="POST", path="/api/v1/providers/me/api-key").parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_answer_keeps_to_the_document(case, credentials, platform):
    for role, token in credentials.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        case.call_and_validate(base_url=platform.url, headers=headers, checks=CHECKS, timeout=30)
