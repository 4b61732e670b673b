"""Analytics through the whole platform: clicks and views recorded; zero-result searches
explained (nothing, elsewhere with the nearest place, filtered out) and normalised; demand, the
funnel from search to enrolment and supply beside demand, with small groups hidden the same in
JSON and CSV; a replay of the archive gives the live rollups; the archive partitioned by month;
the event stream as server-sent events; a read-only AMQP user; the AsyncAPI document against what
the broker and the archive really hold."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import date

import amqp
import psycopg
import pytest
import requests
from cloudevents.core.bindings.http import HTTPMessage, from_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from kombu import Connection, Exchange, Queue, binding

from services.analytics import analyst_user
from services.chassis.texts import today as dutch_today
from services.contracts import asyncapi
from tests.conftest import Client
from tests.e2e.test_intake import person, published_course
from tests.e2e.test_journey import a_course
from tests.infra import ADMIN_TOKEN, ROOT, eventually, form_token


@pytest.fixture(scope="module")
def analyst(platform) -> Client:
    answer = Client(platform.url, ADMIN_TOKEN).post("/api/v1/analysts", json={"name": "Ana Lyst",
                                                                               "email": "ana@fonds.example.nl"})
    assert answer.status_code == 201, answer.text
    return Client(platform.url, answer.json()["token"])


def rolled_up(platform) -> None:
    """Wait until the live rollup has read every event archived so far (it runs every 10 s): a
    rollup that began after now. (Comparing with the newest event's arrival was not enough: an
    archive batch arrives at its transaction's start and may commit after a rollup began, which
    then misses it until the next; two analytics processes made that common.)"""
    with psycopg.connect(platform.db_urls["analytics"]) as db:
        seen = db.execute("SELECT now()").fetchone()[0]

    def caught_up():
        with psycopg.connect(platform.db_urls["analytics"]) as db:
            until = db.execute("SELECT until FROM rollup_state").fetchone()[0]
        return until is not None and until > seen
    eventually(caught_up, timeout=40, interval=0.5, message="the rollups caught up")


def archived(platform, event_type: str, **match) -> list[dict]:
    with psycopg.connect(platform.db_urls["analytics"]) as db:
        rows = db.execute("SELECT payload FROM event_archive WHERE event_type = %s", (event_type,)).fetchall()
    return [r[0] for r in rows if all(r[0].get(k) == v for k, v in match.items())]


def test_a_course_pages_similar_courses_are_no_search_in_the_demand_data(anonymous, provider, platform):
    """The course page looks up similar courses through search; no person searched, so it adds
    no search_performed: the next event archived after a view is the search a person makes."""
    course = published_course(provider, platform)
    word = f"vergelijk{uuid.uuid4().hex[:6]}"
    eventually(lambda: anonymous.get("/api/v1/search", params={"q": "heftruck intake"}).json()["total"] or None,
               message="searchable")
    marker = f"voor{uuid.uuid4().hex[:6]}"         # every search before this one is archived once it is
    anonymous.get("/api/v1/search", params={"q": marker})
    eventually(lambda: archived(platform, "search_performed", query=marker) or None, message="the searches before")
    # (with two search processes a search made before the marker may still be archived after it)
    earlier = {"heftruck intake", marker}
    before = len([e for e in archived(platform, "search_performed") if e.get("query") not in earlier])
    assert requests.get(f"{platform.url}/opleidingen/{course['id']}", timeout=30).status_code == 200
    anonymous.get("/api/v1/search", params={"q": word})
    eventually(lambda: archived(platform, "search_performed", query=word) or None, message="the person's search")
    assert len([e for e in archived(platform, "search_performed") if e.get("query") not in earlier]) == before + 1


def test_clicks_and_views_are_recorded(anonymous, provider, platform):
    course = published_course(provider, platform)
    search = anonymous.get("/api/v1/search", params={"q": "heftruck"}).json()
    assert anonymous.post(f"/api/v1/search/{search['search_id']}/clicks",
                          json={"course_id": course["id"], "position": 1}).status_code == 204
    bad = anonymous.post(f"/api/v1/search/{search['search_id']}/clicks", json={"course_id": "x", "position": 0})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"course_id", "position"}
    assert anonymous.post("/api/v1/search/not-a-search/clicks", json={"course_id": course["id"],
                                                                      "position": 1}).status_code == 422
    assert anonymous.get(f"/api/v1/courses/{course['id']}", params={"search_id": search["search_id"]}).status_code == 200
    eventually(lambda: archived(platform, "search_result_clicked", search_id=search["search_id"]), message="click")
    eventually(lambda: archived(platform, "course_viewed", search_id=search["search_id"], course_id=course["id"]),
               message="view")


def test_zero_results_explained_and_normalised(anonymous, provider, analyst, platform):
    word = f"kraanmachinist{uuid.uuid4().hex[:5]}"
    course = a_course(f"{word.capitalize()} basis")        # its offering in Venlo (Limburg)
    assert provider.post("/api/v1/courses", json={**course, "publish": True}).status_code == 201
    eventually(lambda: anonymous.get("/api/v1/search", params={"q": word}).json()["total"], message="indexed")

    def why(**params):
        answer = anonymous.get("/api/v1/search", params=params).json()
        assert answer["total"] == 0, answer
        return answer["zero_results"]

    # (a province is no point: no distance to name)
    assert why(q=word, province="Groningen") == {"kind": "elsewhere", "nearest_place": "Venlo", "distance_km": None}
    assert why(q=word, near="Groningen", radius_km=10)["kind"] == "elsewhere"
    assert why(q=word, max_price=1) == {"kind": "filtered_out", "nearest_place": None, "distance_km": None}
    assert why(q=f"zzq{uuid.uuid4().hex[:6]}") == {"kind": "nothing", "nearest_place": None, "distance_km": None}
    assert anonymous.get("/api/v1/search", params={"q": word}).json()["zero_results"] is None
    tag = f"zq{uuid.uuid4().hex[:6]}"
    for q in (f"Plaatwerker {tag}", f"plaatwerkers {tag}", f"PLAATWERKER {tag}"):     # one query, three spellings
        why(q=q)
    # search hands its search_performed events over in bursts: every one archived before the rollup is read
    eventually(lambda: len([e for e in archived(platform, "search_performed") if e.get("zero_results")
                            and (word in (e.get("query") or "") or tag in (e.get("query") or ""))]) >= 6,
               timeout=30, message="the zero-result searches archived")
    rolled_up(platform)
    rows = analyst.get("/api/v1/analytics/zero-results", params={"limit": 500}).json()["rows"]
    mine = [r for r in rows if word in r["query"]]
    kinds = {r["kind"]: r for r in mine}
    assert kinds["elsewhere"]["searches"] == 2 and kinds["elsewhere"]["nearest_place"] == "Venlo"
    assert kinds["filtered_out"]["searches"] == 1
    spelled = [r for r in rows if tag in r["query"]]
    assert len(spelled) == 1 and spelled[0]["searches"] == 3 and spelled[0]["kind"] == "nothing"


def test_demand_funnel_and_supply_with_small_groups_hidden(anonymous, provider, analyst, teams, platform):
    course = published_course(provider, platform)
    searches = [anonymous.get("/api/v1/search", params={"q": "heftruck", "situation": "werkzoekend"}).json()
                for _ in range(7)]
    for search in searches[:6]:
        anonymous.get(f"/api/v1/courses/{course['id']}", params={"search_id": search["search_id"]})
    intakes = [anonymous.post("/api/v1/intakes", json=person(course_id=course["id"], search_id=s["search_id"])).json()
               for s in searches[:6]]
    north = teams["noord"]
    for intake in intakes[:2]:
        north.post(f"/api/v1/intakes/{intake['id']}/events", json={"type": "call_attempted"})
        north.post(f"/api/v1/intakes/{intake['id']}/events", json={"type": "advice_given"})
    north.post(f"/api/v1/intakes/{intakes[0]['id']}/events", json={"type": "enrolled"})
    eventually(lambda: len(archived(platform, "intake_outcome_recorded", intake_id=intakes[0]["id"])) == 3,
               message="the steps archived")
    rolled_up(platform)

    today = dutch_today().isoformat()      # the facts' days are Dutch days
    funnel = analyst.get("/api/v1/analytics/funnel", params={"from": today, "to": today})
    assert funnel.status_code == 200, funnel.text
    [row] = funnel.json()["rows"]
    assert row["searches"] >= 7 and row["views"] >= 6 and row["intakes"] >= 6
    # two given advice and one enrolled are small groups: hidden, and so is what would reveal them
    assert row["advice"] is None and row["enrolled"] is None and row["suppressed"] is True
    assert row["advice_rate"] is None and row["time_between_steps_s"]["intake_to_advice"] is None
    assert row["time_between_steps_s"]["search_to_intake"]["p50"] >= 0
    # by situation: no column holds a single hidden cell (it would be its total minus the rest)
    grouped = analyst.get("/api/v1/analytics/funnel", params={"from": today, "to": today, "group_by": "situation"}).json()
    for column in ("intakes", "advice", "enrolled"):
        hidden = [r for r in grouped["rows"] if r[column] is None]
        assert len(hidden) != 1 or grouped["totals"][column] is None, column

    demand = analyst.get("/api/v1/analytics/demand", params={"from": today, "to": today, "group_by": "situation"})
    body = demand.json()
    assert body["min_group"] == 5 and body["columns"][0] == "key"
    werkzoekend = next(r for r in body["rows"] if r["key"] == "werkzoekend")
    assert werkzoekend["searches"] >= 7 and werkzoekend["intakes"] >= 6
    # the same cells as CSV, cell for cell (a hidden one empty), the totals last
    as_csv = analyst.get("/api/v1/analytics/demand", params={"from": today, "to": today, "group_by": "situation",
                                                            "format": "csv"})
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(as_csv.text)))
    assert lines[0] == body["columns"] + ["suppressed"]
    for line, row in zip(lines[1:], body["rows"]):
        assert line == ["" if row[c] is None else str(row[c]) for c in body["columns"]] + [str(row["suppressed"]).lower()]
    assert lines[-1][0] == "totaal" and len(lines) == len(body["rows"]) + 2
    # the same query gives the same cells
    assert analyst.get("/api/v1/analytics/demand", params={"from": today, "to": today,
                                                           "group_by": "situation"}).json() == body

    supply = analyst.get("/api/v1/analytics/supply-demand", params={"group_by": "province"}).json()
    limburg = next(r for r in supply["rows"] if r["key"] == "Limburg")
    assert limburg["open_offerings"] >= 1 and limburg["courses"] >= 1

    # who may read them, and what a bad request says
    assert anonymous.get("/api/v1/analytics/demand").status_code == 401
    assert provider.get("/api/v1/analytics/demand").status_code == 403
    bad = analyst.get("/api/v1/analytics/demand", params={"group_by": "colour", "from": "gisteren"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"group_by", "from"}
    assert analyst.get("/api/v1/analytics/weather").status_code == 404


def test_a_replay_of_the_archive_gives_the_live_rollups(platform, analyst):
    rolled_up(platform)
    from services.analytics.store import AnalyticsStore

    def snapshot():
        with psycopg.connect(platform.db_urls["analytics"], row_factory=psycopg.rows.dict_row) as db:
            return AnalyticsStore(db).rollup_snapshot()

    live = snapshot()
    assert live["demand_daily"] and live["funnel"]
    done = subprocess.run([sys.executable, "-m", "services.analytics.replay"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": platform.db_urls["analytics"]}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "replaying" in done.stdout
    assert snapshot() == live


def test_facts_derived_again_from_the_archive_give_the_live_rollups(platform, analyst):
    """``make analytics-replay FACTS=1``: every fact read again from the archived events, through
    the fact functions, then the rollups: the same rows as live."""
    rolled_up(platform)
    from services.analytics.store import AnalyticsStore

    def snapshot():
        with psycopg.connect(platform.db_urls["analytics"], row_factory=psycopg.rows.dict_row) as db:
            rows = AnalyticsStore(db).rollup_snapshot()
            rows["facts"] = db.execute("SELECT count(*) AS n FROM facts").fetchone()["n"]
            return rows

    live = snapshot()
    assert live["facts"] and live["demand_daily"]
    done = subprocess.run([sys.executable, "-m", "services.analytics.replay", "--facts"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DATABASE_URL": platform.db_urls["analytics"]})
    assert done.returncode == 0, done.stderr
    assert snapshot() == live


def test_the_archive_is_partitioned_by_month(platform):
    with psycopg.connect(platform.db_urls["analytics"]) as db:
        month = f"event_archive_{date.today():%Y_%m}"
        counts = dict(db.execute("""SELECT c.relname, (SELECT count(*) FROM event_archive_default)
                                    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                                    WHERE i.inhparent = 'event_archive'::regclass""").fetchall())
        held = db.execute(f"SELECT count(*) FROM {month}").fetchone()[0]
    assert month in counts and held > 0


def test_the_event_stream_resumes_from_last_event_id(analyst, anonymous, platform):
    for q in ("lassen", "heftruck", "zorg"):
        anonymous.get("/api/v1/search", params={"q": q})
    # a few events archived before it starts (run alone, the archive may still be empty)
    eventually(lambda: len(parse_sse(analyst.http.get(
        f"{platform.url}/api/v1/events/stream", params={"seconds": 1}, timeout=30,
        headers={"Authorization": f"Bearer {analyst.token}"}).text)) >= 3, timeout=30, interval=0.5,
        message="three events in the archive")
    answer = analyst.http.get(f"{platform.url}/api/v1/events/stream", params={"seconds": 1},
                              headers={"Authorization": f"Bearer {analyst.token}"}, stream=True, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/event-stream")
    events = parse_sse(answer.text)
    assert events and all(e["data"]["event_type"] == e["event"] for e in events)
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids)
    middle = ids[len(ids) // 2]
    resumed = parse_sse(analyst.http.get(f"{platform.url}/api/v1/events/stream", params={"seconds": 1}, timeout=30,
                                         headers={"Authorization": f"Bearer {analyst.token}",
                                                  "Last-Event-ID": str(middle)}).text)
    assert resumed and int(resumed[0]["id"]) > middle and [int(e["id"]) for e in resumed][: len(ids) - len(ids) // 2 - 1] \
        == ids[len(ids) // 2 + 1:][: len(resumed)]
    assert anonymous.get("/api/v1/events/stream").status_code == 401


def test_the_event_stream_sends_cloudevents_when_asked(analyst, anonymous, platform):
    anonymous.get("/api/v1/search", params={"q": "lassen"})
    headers = {"Authorization": f"Bearer {analyst.token}"}
    plain = parse_sse(analyst.http.get(f"{platform.url}/api/v1/events/stream", params={"seconds": 1}, headers=headers,
                                       timeout=30).text)
    answer = analyst.http.get(f"{platform.url}/api/v1/events/stream", params={"seconds": 1, "format": "cloudevents"},
                              headers=headers, timeout=30)
    events = parse_sse(answer.text)
    assert events and [e["id"] for e in events][: len(plain)] == [e["id"] for e in plain][: len(events)]
    for sent, before in zip(events, plain):
        event = from_structured(HTTPMessage({"content-type": "application/cloudevents+json"},
                                            json.dumps(sent["data"]).encode()), JSONFormat(), CloudEvent)
        envelope = before["data"]
        assert event.get_id() == envelope["event_id"] and event.get_data() == envelope
        assert event.get_type() == f"nl.scholingsalliantie.{envelope['source']}.{envelope['event_type'].replace('_', '-')}"
    bad = analyst.http.get(f"{platform.url}/api/v1/events/stream", params={"format": "xml"}, headers=headers, timeout=30)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["format"]


def parse_sse(text: str) -> list[dict]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            events.append({"id": fields["id"], "event": fields["event"], "data": json.loads(fields["data"])})
    return events


def test_an_analyst_reads_the_stream_over_amqp_and_cannot_publish(platform, provider, anonymous):
    name = f"t{uuid.uuid4().hex[:8]}"
    uri = analyst_user.create(platform.rabbit.api_uri, platform.amqp_uri, name)
    try:
        with Connection(uri) as conn:     # a plain kombu client, as an analyst writes it
            channel = conn.channel()
            queue = Queue(f"analyst.{name}.all", durable=False, auto_delete=True, bindings=[
                binding(Exchange(f"{source}.events", type="topic", passive=True), routing_key="#") for source in ("catalogue", "search")])
            queue(channel).declare()
            course = published_course(provider, platform)
            anonymous.get("/api/v1/search", params={"q": "heftruck"})
            seen = set()

            def got():
                message = queue(channel).get(no_ack=True)
                if message:
                    seen.add(message.payload["event_type"])
                return {"course_published", "search_performed"} <= seen
            eventually(got, timeout=20, interval=0.05, message="both events on the analyst's queue")
            assert course["id"]
            with pytest.raises(amqp.exceptions.AccessRefused):
                conn.Producer(channel).publish({"x": 1}, exchange="catalogue.events", routing_key="course_published")
                conn.channel().basic_qos(0, 1, False)     # the refusal closes the channel: the next call raises
        with Connection(uri) as conn, pytest.raises(amqp.exceptions.AccessRefused):
            Queue("someone.elses", channel=conn.channel()).declare()
    finally:
        assert analyst_user.delete(platform.rabbit.api_uri, platform.amqp_uri, name)


def test_the_asyncapi_document_matches_the_broker_and_the_archive(platform):
    """Every exchange on the broker, every routing key a queue is bound with and every event the
    archive holds is in the document (read from the document, as a subscriber reads it)."""
    channels = asyncapi.document()["channels"].values()
    documented = {(c["bindings"]["amqp"]["exchange"]["name"], c["address"]) for c in channels}
    exchanges = {e["name"] for e in requests.get(f"{platform.rabbit.api}/exchanges/{platform.vhost}",
                                                 auth=platform.rabbit.auth, timeout=10).json()
                 if e["name"].endswith(".events")}
    bindings = requests.get(f"{platform.rabbit.api}/bindings/{platform.vhost}", auth=platform.rabbit.auth,
                            timeout=10).json()
    bound = {(b["source"], b["routing_key"]) for b in bindings if b["source"].endswith(".events") and b["routing_key"] != "#"}
    assert exchanges <= {exchange for exchange, _ in documented}, "an exchange on the broker is not documented"
    assert {"catalogue.events", "search.events", "intake.events"} <= exchanges
    assert bound and bound <= documented, bound - documented
    with psycopg.connect(platform.db_urls["analytics"]) as db:
        archived_keys = {(f"{s}.events", t) for s, t in db.execute(
            "SELECT DISTINCT source, event_type FROM event_archive").fetchall()}
    assert archived_keys <= documented, archived_keys - documented
    assert {("intake.events", "intake_submitted"), ("search.events", "search_performed")} <= archived_keys


def test_nothing_personal_in_the_archive(platform, anonymous, teams):
    body = person()
    intake = anonymous.post("/api/v1/intakes", json=body).json()
    eventually(lambda: archived(platform, "intake_submitted", intake_id=intake["id"]), message="archived")
    with psycopg.connect(platform.db_urls["analytics"]) as db:
        text = db.execute("SELECT string_agg(payload::text, ' ') FROM event_archive").fetchone()[0]
    digits = body["phone"].replace(" ", "")[1:]
    assert body["name"] not in text and body["email"] not in text and digits not in text


def test_the_dashboard_draws_its_charts_beside_their_tables(analyst, platform):
    rolled_up(platform)
    session = requests.Session()
    form = session.get(f"{platform.url}/analyse").text
    assert "ana_" in form          # not signed in: the form
    assert session.post(f"{platform.url}/analyse/inloggen", data={"token": analyst.token}).status_code == 403  # no CSRF
    refused = session.post(f"{platform.url}/analyse/inloggen", data={"token": "ana_nope", "csrf": form_token(form)},
                           allow_redirects=False)
    assert refused.status_code == 401 and "onbekend" in refused.text
    signed_in = session.post(f"{platform.url}/analyse/inloggen", data={"token": analyst.token, "csrf": form_token(form)},
                             allow_redirects=False)
    assert signed_in.status_code == 303 and "HttpOnly" in signed_in.headers["Set-Cookie"]
    page = session.get(f"{platform.url}/analyse")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert html.count('role="img"') == 4 and html.count("<table>") == 4 and "<script" not in html
    for section in ("demand", "unmet", "funnel", "supply"):
        assert f'<title id="chart-{section}-title">' in html and f'<desc id="chart-{section}-desc">' in html
    # the funnel's table says what the report says
    funnel = analyst.get("/api/v1/analytics/funnel").json()["rows"][0]
    assert f"<th scope=\"row\">zoekvragen</th><td>{funnel['searches']}</td>" in html
    english = session.get(f"{platform.url}/analyse", params={"lang": "en"}).text
    assert 'lang="en"' in english and "From search to enrolment" in english


def test_the_dashboards_downloads_work_in_the_session_that_shows_them(analyst, platform):
    """Every "Download als CSV" link of the dashboard answers the CSV to the signed-in analyst
    (the same file the API gives with format=csv); signed out, it leads to the sign-in form."""
    rolled_up(platform)
    session = requests.Session()
    form = session.get(f"{platform.url}/analyse").text
    assert session.post(f"{platform.url}/analyse/inloggen", data={"token": analyst.token, "csrf": form_token(form)},
                        allow_redirects=False).status_code == 303
    html = session.get(f"{platform.url}/analyse").text
    links = [link.replace("&amp;", "&") for link in re.findall(r'<a href="([^"]+)">Download als CSV<', html)]
    assert len(links) == 4
    for link in links:
        download = session.get(platform.url + link)
        assert download.status_code == 200, (link, download.text[:200])
        assert download.headers["Content-Type"].startswith("text/csv") and "attachment" in download.headers[
            "Content-Disposition"]
        report = link.split("/analyse/rapport/")[1].split("?")[0]
        query = dict(pair.split("=") for pair in link.split("?")[1].split("&"))
        api = analyst.get(f"/api/v1/analytics/{report}", params={**query, "format": "csv"})
        assert download.text == api.text
    outsider = requests.get(platform.url + links[0], allow_redirects=False)
    assert outsider.status_code == 303 and outsider.headers["Location"] == "/analyse"


def test_funding_schemes_published_are_counted_by_the_sector_they_are_for(platform, analyst):
    admin = Client(platform.url, ADMIN_TOKEN)
    today = dutch_today().isoformat()      # the facts' days are Dutch days

    def published(sector: str) -> int:
        rows = analyst.get("/api/v1/analytics/demand", params={"from": today, "to": today,
                                                               "group_by": "sector"}).json()["rows"]
        return sum(r["schemes_published"] for r in rows if r["key"] == sector)

    rolled_up(platform)
    before = published("schoonmaak-facilitair")
    for n in range(2):
        answer = admin.post("/api/v1/funding-schemes", json={
            "code": f"schoon-{uuid.uuid4().hex[:8]}", "name": f"Schoon aan de slag {n}", "funder": "Fonds Schoon",
            "valid_from": today, "eligible_sectors": ["schoonmaak-facilitair"]})
        assert answer.status_code == 201, answer.text
    eventually(lambda: published("schoonmaak-facilitair") == before + 2, timeout=60, interval=1,
               message="both schemes counted")
    body = analyst.get("/api/v1/analytics/demand", params={"from": today, "to": today}).json()
    assert "schemes_published" in body["columns"]
    week = analyst.get("/api/v1/analytics/demand", params={"from": today, "to": today, "format": "csv"}).text
    assert "schemes_published" in week.splitlines()[0]


def test_the_dashboard_as_an_analyst_reads_it(analyst, platform):
    """A long query keeps to the page (cut with an ellipsis), "-" reads "onbekend", every
    province has a row even at 0, quick periods and a trend per month, and a reversed period is
    a Dutch error beside its field (the reports then show the default period)."""
    word = f"maand{uuid.uuid4().hex[:6]}"
    for _ in range(3):          # a long query that finds nothing, and searches that count this month
        requests.get(f"{platform.url}/api/v1/search", params={"q": "0" * 200}, timeout=30)
        requests.get(f"{platform.url}/api/v1/search", params={"q": word}, timeout=30)
    eventually(lambda: len(archived(platform, "search_performed", query=word)) == 3 or None, message="archived")
    rolled_up(platform)
    session = requests.Session()
    form = session.get(f"{platform.url}/analyse").text
    session.post(f"{platform.url}/analyse/inloggen", data={"token": analyst.token, "csrf": form_token(form)})
    html = session.get(f"{platform.url}/analyse", params={"per": "month"}).text
    supply = html.split('id="supply"')[1].split("</table>")[0]
    for province in ("Zeeland", "Drenthe", "Flevoland", "Limburg"):
        assert f'<th scope="row">{province}</th>' in supply, province
    assert "Vraag per maand" in html and re.search(r'<th scope="row">\d{4}-\d{2}</th>', html)
    # the chart's description says the number of searches the table adds up to
    demand = html.split('id="demand"')[1].split("</table>")[0]
    counted = sum(int(n) for n in re.findall(r'<th scope="row">[^<]+</th><td>(\d+)</td>', demand))
    assert f"<figcaption>{counted} zoekvragen</figcaption>" in demand, demand[:3000]
    assert html.count('href="/analyse?') >= 3 and "kwartaal" in html
    assert not re.search(r'<th scope="row">[^<]{61,}</th>', html)        # no label longer than the page shows
    assert '<th scope="row">-</th>' not in html
    reversed_period = session.get(f"{platform.url}/analyse", params={"from": "2026-06-01", "to": "2026-01-01"})
    assert reversed_period.status_code == 400 and 'id="from-error"' in reversed_period.text
    assert "De begindatum ligt na de einddatum" in reversed_period.text
    only = session.get(f"{platform.url}/api/v1/analytics/demand", headers={"Authorization": f"Bearer {analyst.token}"},
                       params={"group_by": "month", "province": "Zeeland"})
    assert only.status_code == 200 and all(re.fullmatch(r"\d{4}-\d{2}", r["key"]) for r in only.json()["rows"])
