"""``make backup`` writes a backup of every service's database; ``make restore`` brings it into an
empty platform, which then serves every course, intake and report as before; and the erasures a
person asked for after the backup are applied again from intake's erasure log."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import psycopg
import pytest

from tests.conftest import Client
from tests.e2e.test_intake import person
from tests.e2e.test_journey import a_course, found
from tests.infra import ADMIN_TOKEN, DATABASES, ROOT, Platform, eventually

pytestmark = pytest.mark.slow


def tool(*args: str, amqp_uri: str | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **({"AMQP_URI": amqp_uri} if amqp_uri else {})}
    done = subprocess.run([sys.executable, "-m", "deploy.local.backup", *args], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def databases(platform) -> list[str]:
    return [f"--database={name}={platform.db_urls[name]}" for name in DATABASES]


def test_a_backup_restored_into_an_empty_platform_serves_as_before(platform, provider, anonymous, teams, rabbit,
                                                                   postgres, tmp_path, reliability):
    word = f"backup{uuid.uuid4().hex[:6]}"
    courses = [provider.post("/api/v1/courses", json={**a_course(f"Cursus {word} {n}"), "publish": True}).json()
               for n in range(3)]
    kept, erased = (anonymous.post("/api/v1/intakes", json=person()).json() for _ in range(2))
    eventually(lambda: all(found(anonymous, word, c["id"]) for c in courses), timeout=20, message="indexed")
    admin = Client(platform.url, ADMIN_TOKEN)
    report = lambda client: client.get("/api/v1/analytics/demand", params={"group_by": "situation"}).json()  # noqa: E731
    # the report as of the backup: every event delivered (the tests before may have sent thousands)
    # and rolled up by a roll-up that started after that
    eventually(lambda: quiet(platform, rabbit), timeout=120, interval=1, message="every queue empty")
    with psycopg.connect(platform.db_urls["analytics"]) as conn:
        settled_at = conn.execute("SELECT now()").fetchone()[0]
    eventually(lambda: rolled_up_after(platform, settled_at), timeout=30, message="a roll-up after")
    before = eventually(lambda: (lambda r: r if r.get("rows") else None)(report(admin)), timeout=30,
                        message="a demand report")

    folder = tmp_path / "backup"
    out = tool("backup", f"--to={folder}", *databases(platform))
    assert "backup of 5 databases" in out
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(manifest["databases"]) == sorted(DATABASES)
    assert all((folder / f"{name}.dump").stat().st_size > 0 for name in DATABASES)

    # after the backup: a person asks to be erased (logged), and a course is added (not in the backup)
    erasure_log = platform.extra_env["INTAKE_ERASURE_LOG"]
    assert anonymous.delete(f"/api/v1/intakes/{erased['id']}", params={"token": erased["token"]}).status_code == 204
    assert erased["id"] in open(erasure_log).read()
    late = provider.post("/api/v1/courses", json={**a_course(f"Later {word}"), "publish": True}).json()

    def restore(empty: Platform) -> None:
        tool("restore", f"--from={folder}", *databases(empty))

    started = time.monotonic()
    restored = Platform(rabbit, postgres, platform.log_dir, before_services=restore,
                        extra_env={**platform.extra_env})
    try:
        restored.start()
        tool("replay-erasures", f"--from={folder}", f"--log={erasure_log}", amqp_uri=restored.amqp_uri)
        recovered = time.monotonic() - started
        owner = Client(restored.url, provider.token)
        public = Client(restored.url)
        for course in courses:
            again = owner.get(f"/api/v1/courses/{course['id']}")
            assert again.status_code == 200 and again.json()["title"] == course["title"]
            assert found(public, word, course["id"])
        assert owner.get(f"/api/v1/courses/{late['id']}").status_code == 404        # made after the backup
        advisor = Client(restored.url, teams["noord"].token)
        assert advisor.get(f"/api/v1/intakes/{kept['id']}").status_code == 200
        kept_status = public.get(f"/api/v1/intakes/{kept['id']}/status", params={"token": kept["token"]})
        assert kept_status.status_code == 200
        # erased after the backup: erased again from the log, the link no longer works
        assert public.get(f"/api/v1/intakes/{erased['id']}/status", params={"token": erased["token"]}).status_code == 404
        assert report(Client(restored.url, ADMIN_TOKEN)) == before
        reliability(scenario="backup, then restore into an empty platform", injected="every database lost",
                    accepted=len(courses) + 1, found=len(courses) + 1, duplicates=0, refused=0,
                    recover_seconds=round(recovered, 1),
                    note="3 courses and 1 intake served as before; a second intake, erased after the backup, "
                         "is erased again from the erasure log")
    finally:
        restored.stop()


def quiet(platform, rabbit) -> bool:
    """No message waits in a queue a service consumes, twice a second apart (an outbox relays
    every half second). Queues no one consumes (an earlier test's watch queues) do not count."""
    def empty() -> bool:
        lines = rabbit.ctl("list_queues", "-p", platform.vhost, "--no-table-headers", "name", "consumers",
                           "messages_ready", "messages_unacknowledged").splitlines()
        rows = [line.split("\t") for line in lines if line.count("\t") == 3]
        return all(int(ready) + int(unacked) == 0 for _, consumers, ready, unacked in rows if int(consumers))
    if not empty():
        return False
    time.sleep(1)
    return empty()


def rolled_up_after(platform, moment) -> bool:
    with psycopg.connect(platform.db_urls["analytics"]) as conn:
        until = conn.execute("SELECT until FROM rollup_state WHERE name = 'rollups'").fetchone()[0]
    return until is not None and until > moment
