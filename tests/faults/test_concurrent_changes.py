"""Two clients of one provider change one course at the same moment, both from the version they
read: one wins, the other gets 412 and changes nothing; the history says what happened."""
from __future__ import annotations

import threading

from tests.e2e.test_journey import a_course


def test_two_changes_of_one_version_one_wins_the_other_is_412(provider, reliability):
    for attempt in range(5):
        created = provider.post("/api/v1/courses", json={**a_course(f"Gelijktijdig {attempt}"), "publish": True}).json()
        url, read = f"/api/v1/courses/{created['id']}", provider.get(f"/api/v1/courses/{created['id']}")
        go, answers = threading.Barrier(2), {}

        def change(title: str):
            go.wait()
            answers[title] = provider.put(url, json={**read.json(), "title": title},
                                          headers={"If-Match": read.headers["ETag"]})

        threads = [threading.Thread(target=change, args=(title,)) for title in ("Versie van A", "Versie van B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(a.status_code for a in answers.values())
        assert statuses == [200, 412], {t: (a.status_code, a.text) for t, a in answers.items()}
        winner = next(t for t, a in answers.items() if a.status_code == 200)
        loser = next(a for a in answers.values() if a.status_code == 412)
        assert "stale" in loser.json()["detail"] and loser.json()["detail"].endswith("at 2")
        now = provider.get(url).json()
        assert (now["title"], now["version"]) == (winner, 2)
        history = provider.get(f"{url}/history").json()["items"]
        assert [(h["action"], h["changed"]) for h in history if h["version"] == 2] == [("update", ["title"])]
        assert max(h["version"] for h in history) == 2      # the loser wrote nothing
    reliability(scenario="two PUTs of one course version at once, 5 times", injected="a race",
                accepted=5, found=5, duplicates=0, refused=5, recover_seconds=0, note="each loser a 412")
