"""The low findings of the outside security test, each tried as the tester did."""
from __future__ import annotations

import subprocess
import uuid

from tests.e2e.test_analytics import analyst, archived, rolled_up  # noqa: F401 (a fixture)
from tests.e2e.test_journey import a_course
from tests.e2e.test_rate_limits import client_from, gateway_with
from tests.infra import ROOT, eventually


def test_a_title_is_one_line(provider, attack):
    """A title with CR/LF put paragraphs of the provider's own into our mails."""
    for title in ("VCA Basis\r\n\r\nKlik hier: https://x.example", "VCA\nBasis", "VCA\tBasis"):
        answer = provider.post("/api/v1/courses", json=a_course(title))
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "title"
    attack(name="low: line breaks in titles", tried="titles with CR/LF and a tab", held="422 naming title")


def test_a_snippet_is_safe_html(provider, anonymous, platform, attack):
    """``snippet`` mixed <mark> with the provider's text unescaped."""
    word = f"lasrobot{uuid.uuid4().hex[:6]}"
    course = a_course(f"{word.capitalize()} programmeren")
    course["description"] = f"Leer de {word} te programmeren &amp; &lt;img src=x onerror=alert(1)&gt; <b>veilig</b>."
    assert provider.post("/api/v1/courses", json={**course, "publish": True}).status_code == 201
    hit = eventually(lambda: (anonymous.get("/api/v1/search", params={"q": word}).json()["hits"] or [None])[0],
                     message="indexed")
    snippet = hit["snippet"]
    assert "<mark>" in snippet and "<img" not in snippet and "<b>" not in snippet, snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0, snippet
    attack(name="low: HTML in snippets", tried="a description with an escaped <img onerror> and <b>",
           held="the snippet holds only <mark>")


def test_the_event_stream_takes_only_a_number_of_seconds(analyst):  # noqa: F811
    for bad in ("abc", "nan", "-1"):
        answer = analyst.get("/api/v1/events/stream", params={"seconds": bad})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "seconds", (bad, answer.text)


def test_a_query_few_people_searched_or_that_names_someone_is_not_reported(platform, analyst, attack):  # noqa: F811
    """A single anonymous search came back verbatim in the zero-results report."""
    tag = uuid.uuid4().hex[:6]
    many, one, personal = f"zeppelinpiloot{tag}", f"jansen{tag} schuldhulp", f"jan.{tag}@example.nl"
    with gateway_with(platform, services=("analytics",), ANALYTICS_MIN_SEARCHERS="5"):
        for n in range(1, 7):       # six people
            assert client_from(platform, f"127.0.6.{n}").request("GET", f"/api/v1/search?q={many}").status == 200
        lone = client_from(platform, "127.0.7.1")
        for _ in range(6):          # one person, six times
            assert lone.request("GET", f"/api/v1/search?q={one.replace(' ', '+')}").status == 200
        assert lone.request("GET", f"/api/v1/search?q={personal}").status == 200
        eventually(lambda: len([e for e in archived(platform, "search_performed") if tag in (e.get("query") or "")]) >= 12,
                   timeout=30, message="the searches archived")
        rolled_up(platform)
        rows = analyst.get("/api/v1/analytics/zero-results", params={"limit": 500}).json()["rows"]
        queries = " ".join(r["query"] + " " + r["example"] for r in rows)
        assert many in queries
        assert f"jansen{tag}" not in queries and personal not in queries
    assert not [e for e in archived(platform, "search_performed") if personal in str(e)], "kept in the archive"
    attack(name="low: single searches in the zero-results report", tried="a query one person searched six times, "
           "an e-mail address as a query", held="neither reported; the address never archived")


def test_make_quotes_what_it_is_given(tmp_path):
    """``TO``/``BACKUP`` went into shell double quotes: a ``$(...)`` in them ran."""
    for target, variable in (("backup", "TO"), ("restore", "BACKUP"), ("replay-erasures", "BACKUP")):
        marker = tmp_path / f"ran-{target}"
        subprocess.run(["make", "-n" if target == "restore" else target, *([target] if target == "restore" else []),
                        f"{variable}={tmp_path}/x$(touch {marker})"], cwd=ROOT, capture_output=True, timeout=120)
        assert not marker.exists(), target
    listed = subprocess.run(["make", "-n", "restore", f"BACKUP={tmp_path}/x$(touch y)"], cwd=ROOT,
                            capture_output=True, text=True, timeout=30).stdout
    assert "$(touch" not in listed.replace('"$BACKUP"', ""), listed
