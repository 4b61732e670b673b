"""Every service's database on a primary with a synchronous streaming standby
(deploy/local/pg_pair.sh), the services connecting with a multi-host URL
(target_session_attrs=read-write). The primary is lost in the middle of a load and the standby
promoted: clients see 503 with Retry-After for at most 30 s, never a 500, and nothing accepted
is lost."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest

from tests.faults.test_database_restart import load_running, nothing_accepted_lost
from tests.infra import ROOT, Platform, Postgres

pytestmark = pytest.mark.slow
PAIR = ROOT / "deploy" / "local" / "pg_pair.sh"
OUTAGE_LIMIT_SECONDS = 30


def pair(*args: str) -> str:
    env = {**os.environ, "SA_PROFILE": "test"}
    env.pop("RUN_DIR", None)
    return subprocess.run(["bash", str(PAIR), *args], env=env, check=True, capture_output=True, text=True,
                          timeout=120).stdout


@pytest.fixture(scope="module")
def platform(rabbit, mail_server):
    pair("start")
    log_dir = ROOT / ".run" / "test" / "logs"
    running = Platform(rabbit, Postgres(pair("url", "postgres").strip()), log_dir,
                       extra_env={"SMTP_URL": mail_server.url})
    try:
        running.start()
        yield running
    finally:
        try:
            running.stop()
        finally:
            pair("stop")
            shutil.rmtree(ROOT / ".run" / "test" / "pgpair", ignore_errors=True)   # the next run starts from a primary


def test_the_services_connect_to_the_primary_of_the_pair(platform):
    for url in platform.db_urls.values():
        assert "target_session_attrs=read-write" in url and url.count("127.0.0.1:") == 2, url
    assert "standby (port" in pair("status") and ", standby" in pair("status")


def test_the_primary_lost_and_the_standby_promoted_under_load_loses_nothing_accepted(platform, provider, anonymous,
                                                                                     reliability):
    word = f"failover{uuid.uuid4().hex[:6]}"
    with load_running(provider, anonymous, word) as answers:
        lost = time.monotonic()
        pair("crash-primary")
        time.sleep(3)               # the time an operator or a failover manager takes to decide
        pair("promote")
        time.sleep(5)               # the load goes on against the new primary
    unavailable, accepted = nothing_accepted_lost(provider, anonymous, word, answers, outage_seen=False)
    # the load ran through the loss: answers before it, and writes on the new primary after it
    assert any(a[4] < lost for a in answers if a[0] == 201)
    outage = max((a[4] for a in unavailable), default=lost) - lost     # the last 503 after the loss
    assert outage <= OUTAGE_LIMIT_SECONDS, outage
    recovered = min(a[4] for a in answers if a[0] == 201 and a[4] > lost + 3) - lost    # the first write on the new primary
    assert "primary (port" in pair("status") and ", primary" in pair("status").split("standby (port")[1]
    reliability(scenario="course creation and searches, 2 clients",
                injected="PostgreSQL primary stopped (immediate), standby promoted after 3 s",
                accepted=len(accepted), found=len(accepted), duplicates=0, refused=len(unavailable),
                recover_seconds=round(recovered, 1))
