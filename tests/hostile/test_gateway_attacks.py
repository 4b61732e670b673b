"""The gateway attacked from outside with what anyone has: made-up credentials, slow
connections, big forms (findings 3, 4 and 7 of the outside security test)."""
from __future__ import annotations

import uuid

from tests.e2e.test_rate_limits import client_from, gateway_with


def test_a_made_up_credential_is_not_a_new_client(platform, provider):
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
