"""`make run` ends by loading the demo catalogue (deploy/local/load_demo.py): through the public
API, idempotently, and it returns only once search finds every published demo course. On a platform of
its own, so its 21 courses do not change what other tests count."""
from __future__ import annotations

import json
import subprocess
import sys

import requests

from tests.infra import ROOT, Platform, eventually


def test_demo_catalogue_loads_once_and_is_findable_when_the_loader_returns(rabbit, postgres, tmp_path):
    demo = json.loads((ROOT / "deploy/local/demo_catalogue.json").read_text())
    total = sum(len(p["courses"]) for p in demo["providers"])
    platform = Platform(rabbit, postgres, tmp_path)
    try:
        platform.start()
        keys = tmp_path / "demo-keys.json"

        def load() -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "deploy.local.load_demo", "--gateway", platform.url,
                                   "--keys", str(keys), "--admin-token", platform.env("gateway")["ADMIN_TOKEN"]],
                                  cwd=ROOT, capture_output=True, text=True, timeout=180)

        first = load()
        assert first.returncode == 0, first.stderr
        assert f"{total} courses created" in first.stdout
        schemes = {s["code"] for s in demo["funding_schemes"]}
        assert f"{len(schemes)} published, 0 already there" in first.stdout
        listed = requests.get(f"{platform.url}/api/v1/funding-schemes", timeout=30).json()["items"]
        assert {s["code"] for s in listed} == schemes
        # a person in a situation is offered the demo schemes that fit it, on the courses they pay for
        employer = requests.get(f"{platform.url}/api/v1/search", params={"q": "medicatieveiligheid", "situation": "werkgever"},
                                timeout=30).json()
        assert {s["code"] for s in employer["profile"]["funding_schemes"]} == schemes
        assert set(employer["hits"][0]["funding_schemes"]) == {"zorg-scholingsfonds", "scholing-werkgevers-demo"}
        # no waiting here: the loader returned only once search found them all
        answer = requests.get(f"{platform.url}/api/v1/search", params={"page_size": 1}, timeout=30).json()
        assert answer["total"] == total
        assert len(json.loads(keys.read_text())) == len(demo["providers"])

        again = load()
        assert again.returncode == 0, again.stderr
        assert f"0 courses created, {total} already there" in again.stdout
        assert f"0 published, {len(schemes)} already there" in again.stdout
        assert requests.get(f"{platform.url}/api/v1/search", params={"page_size": 1}, timeout=30).json()["total"] == total

        # someone withdrew a demo course since: the next make run waits for the others, not for it
        auth = {"Authorization": f"Bearer {next(iter(json.loads(keys.read_text()).values()))}"}
        course = requests.get(f"{platform.url}/api/v1/providers/me/courses", headers=auth, timeout=30).json()["items"][0]
        assert requests.post(f"{platform.url}/api/v1/courses/{course['id']}/withdraw", headers=auth,
                             timeout=30).status_code == 200
        eventually(lambda: requests.get(f"{platform.url}/api/v1/search", params={"page_size": 1},
                                        timeout=30).json()["total"] == total - 1, message="withdrawal seen by search")
        third = load()
        assert third.returncode == 0, third.stderr
        assert f"search finds all {total - 1} published courses" in third.stdout
    finally:
        platform.stop()
