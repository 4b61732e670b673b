"""Loads the demo catalogue through the public API, idempotently: providers are matched by
name (their API keys are kept in the run folder), courses by external_id; running it twice
creates nothing new. Usage: python -m deploy.local.load_demo --gateway URL --keys FILE"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import requests

DEMO = Path(__file__).with_name("demo_catalogue.json")


def course_body(course: dict, today: date) -> dict:
    body = {k: v for k, v in course.items() if k != "offerings"}
    body["offerings"] = []
    for o in course["offerings"]:
        start = today + timedelta(days=o["start_in_days"])
        offering = {"external_id": o["external_id"], "start_date": start.isoformat(),
                    "end_date": (start + timedelta(days=o["days"] - 1)).isoformat(),
                    "mode": o["mode"], "price_eur": o["price_eur"], "seats_available": 12, "status": "open"}
        if o.get("city"):
            offering["location"] = {"city": o["city"]}
        body["offerings"].append(offering)
    return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--keys", type=Path, required=True, help="where the demo providers' API keys are kept")
    parser.add_argument("--admin-token", default=os.environ.get("ADMIN_TOKEN", "dev-admin-token"))
    args = parser.parse_args()
    http = requests.Session()
    admin = {"Authorization": f"Bearer {args.admin_token}"}
    keys = json.loads(args.keys.read_text()) if args.keys.exists() else {}
    existing = {p["name"] for p in http.get(f"{args.gateway}/api/v1/providers", headers=admin, timeout=30).json()["items"]}
    today = date.today()
    demo = json.loads(DEMO.read_text())
    for provider in demo["providers"]:
        name = provider["name"]
        if name not in keys:
            if name in existing:
                print(f"!! provider {name!r} exists but its API key is not in {args.keys}; skipped", file=sys.stderr)
                continue
            answer = http.post(f"{args.gateway}/api/v1/providers", headers=admin, timeout=30, json={
                "name": name, "kind": provider["kind"], "website": provider["website"]})
            answer.raise_for_status()
            keys[name] = answer.json()["api_key"]
            args.keys.parent.mkdir(parents=True, exist_ok=True)
            args.keys.write_text(json.dumps(keys, indent=2))
    # the schemes before the courses that name them
    if not publish_schemes(http, args.gateway, demo["funding_schemes"], keys, admin, today):
        return 1
    created = 0
    for provider in demo["providers"]:
        if provider["name"] not in keys:
            continue
        auth = {"Authorization": f"Bearer {keys[provider['name']]}"}
        mine = http.get(f"{args.gateway}/api/v1/providers/me/courses?page_size=100", headers=auth, timeout=30).json()
        have = {c["external_id"] for c in mine["items"]}
        for course in provider["courses"]:
            if course["external_id"] in have:
                continue
            answer = http.post(f"{args.gateway}/api/v1/courses", headers=auth, timeout=30,
                               json={**course_body(course, today), "publish": True})
            if answer.status_code != 201:
                print(f"!! {course['external_id']}: {answer.status_code} {answer.text}", file=sys.stderr)
                return 1
            created += 1
    total = sum(len(p["courses"]) for p in demo["providers"])
    print(f"==> demo catalogue: {created} courses created, {total - created} already there")
    return 0 if wait_findable(http, args.gateway, findable(http, args.gateway, keys.values(), today)) else 1


def publish_schemes(http: requests.Session, gateway: str, schemes: list[dict], keys: dict, admin: dict,
                    today: date) -> bool:
    """Publish the demo funding schemes not there yet, each by its publisher (a demo oo-fonds or
    admin), valid from ``valid_from_in_days`` for ``valid_for_days``."""
    published = 0
    for scheme in schemes:
        if http.get(f"{gateway}/api/v1/funding-schemes/{scheme['code']}", timeout=30).status_code == 200:
            continue
        if scheme["publisher"] != "admin" and scheme["publisher"] not in keys:
            print(f"!! funding scheme {scheme['code']}: its publisher's API key is not known; skipped", file=sys.stderr)
            continue
        start = today + timedelta(days=scheme["valid_from_in_days"])
        body = {k: v for k, v in scheme.items() if k not in ("publisher", "valid_from_in_days", "valid_for_days")}
        body.update(valid_from=start.isoformat(), valid_until=(start + timedelta(days=scheme["valid_for_days"])).isoformat())
        auth = admin if scheme["publisher"] == "admin" else {"Authorization": f"Bearer {keys[scheme['publisher']]}"}
        answer = http.post(f"{gateway}/api/v1/funding-schemes", headers=auth, timeout=30, json=body)
        if answer.status_code != 201:
            print(f"!! funding scheme {scheme['code']}: {answer.status_code} {answer.text}", file=sys.stderr)
            return False
        published += 1
    print(f"==> demo funding schemes: {published} published, {len(schemes) - published} already there")
    return True


def findable(http: requests.Session, gateway: str, keys, today: date) -> int:
    """How many of the demo providers' courses search should find: published, with an open or
    full offering that starts after today (counted as the catalogue holds them now: a course
    someone withdrew or changed since the demo was loaded counts as it is)."""
    count = 0
    for key in keys:
        page = 1
        while True:
            mine = http.get(f"{gateway}/api/v1/providers/me/courses", params={"page": page, "page_size": 100},
                            headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
            count += sum(1 for c in mine["items"] if c["status"] == "published" and any(
                o["status"] in ("open", "full") and date.fromisoformat(o["start_date"]) > today for o in c["offerings"]))
            if page * 100 >= mine["total"]:
                break
            page += 1
    return count


def wait_findable(http: requests.Session, gateway: str, total: int, timeout: float = 60) -> bool:
    """Search follows the catalogue by events, a moment later: the first search a person tries
    after `make run` should already find the demo courses."""
    deadline = time.monotonic() + timeout
    found = 0
    while time.monotonic() < deadline:
        found = http.get(f"{gateway}/api/v1/search", params={"page_size": 1}, timeout=30).json()["total"]
        if found >= total:
            print(f"==> search finds all {found} published courses")
            return True
        time.sleep(0.2)
    print(f"!! search finds {found} of {total} published demo courses after {timeout:.0f} s; see `make logs`",
          file=sys.stderr)
    return False


if __name__ == "__main__":
    sys.exit(main())
