"""Notify's pure rules and its templates: every template renders in both languages with
escaping, SMS texts fit two GSM-7 segments with the longest data, answers are classified as the
issue says, retries back off with jitter, webhook URLs are checked, keys are stable."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.chassis import texts
from services.notify import domain, messages, templates
from services.notify.domain import DELIVERED, PERMANENT, TEMPORARY

DUE = datetime(2027, 1, 12, 16, 0, tzinfo=timezone.utc)       # dinsdag 12 januari, 17:00 in Amsterdam
BASE = "https://scholingsalliantie.nl"
LONGEST = {        # the longest values the data can hold where it reaches a message
    "name": "Anne-Marië <script>alert('x')</script> van den Berg-Oudshoorn",
    "team_name": "Leerwerkloket Zuidoost-Brabant en Noordoost-Brabant",
    "course_title": "Veiligheid, Gezondheid en Milieu Checklist Aannemers (VCA-VOL) met examen",
    "due": texts.deadline_text(datetime(2027, 9, 15, 15, 0, tzinfo=timezone.utc), "nl"),     # woensdag 15 september
    "status_url": f"{BASE}/aanvraag/00000000-0000-4000-8000-000000000000?token=int_{'A' * 43}",
    "reference": "SA-0000-0000",
}
DATA = {
    "intake_confirmation": LONGEST,
    "team_new_intake": {**LONGEST, "situation_label": "op zoek naar werk", "intake_url": f"{BASE}/adviseurs/intakes/x"},
    "callback_due_soon": {**LONGEST, "situation_label": "op zoek naar werk", "intake_url": f"{BASE}/adviseurs/intakes/x"},
    "callback_overdue": {**LONGEST, "situation_label": "op zoek naar werk", "intake_url": f"{BASE}/adviseurs/intakes/x"},
    "provider_new_lead": {"provider_name": "ROC <b>Noord</b>", "course_title": "Heftruck", "lead_url": f"{BASE}/l"},
    "saved_search_confirmation": {"query_text": "heftruck · Utrecht", "frequency_text": "dagelijks",
                                  "confirm_url": f"{BASE}/c?token=a&b", "unsubscribe_url": f"{BASE}/u"},
    "saved_search_alert": {"query_text": "heftruck", "search_url": f"{BASE}/zoeken?q=heftruck",
                           "unsubscribe_url": f"{BASE}/u", "courses": [
                               {"title": "Heftruck <i>basis</i>", "provider": "ROC", "start": "1 maart 2027", "url": f"{BASE}/o/1"},
                               {"title": "Reachtruck", "provider": "ROC", "start": None, "url": f"{BASE}/o/2"}]},
    "course_start_moved": {"query_text": "heftruck", "unsubscribe_url": f"{BASE}/u", "course_title": "Heftruck <i>basis</i>",
                           "provider": "ROC <b>Noord</b>", "course_url": f"{BASE}/opleidingen/1",
                           "started": "maandag 1 maart 2027", "starts": "maandag 15 maart 2027"},
}


def test_every_template_exists_in_both_languages_with_a_version():
    for language in templates.LANGUAGES:
        files = {p.parent.name for p in Path(templates.FOLDER).glob(f"*/{language}.txt")}
        assert files == set(DATA), language
    assert set(DATA) <= {name for name, m in messages.MESSAGES.items() if m.version >= 1}


@pytest.mark.parametrize("language", templates.LANGUAGES)
@pytest.mark.parametrize("name", sorted(DATA))
def test_templates_render_escaped(name, language):
    rendered = templates.render(name, language, DATA[name])
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.html.startswith("<!DOCTYPE html>") and f'lang="{language}"' in rendered.html
    assert "<script>" not in rendered.html and "<b>" not in rendered.html and "<i>" not in rendered.html
    for url in templates.URL.findall(rendered.text):     # every link of the text is a link in the HTML
        assert f'href="{url.replace("&", "&amp;")}"' in rendered.html


def test_user_input_is_escaped_in_html_and_plain_in_text():
    rendered = templates.render("intake_confirmation", "nl", LONGEST)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in rendered.html
    assert "<script>alert('x')</script>" in rendered.text
    assert f"uiterlijk {LONGEST['due']}" in rendered.text and LONGEST["due"] == "woensdag 15 september, 17:00"


@pytest.mark.parametrize("language", templates.LANGUAGES)
def test_an_sms_fits_two_gsm7_segments_with_the_longest_data(language):
    data = {**LONGEST, "team_name": "Leerwerkloket Zuidoost-Brabant en Noordoost-Brabant (Eindhoven–Helmond) ë"}
    sms = templates.render("intake_confirmation", language, data).sms
    assert domain.sms_segments(sms) in (("GSM-7", 1), ("GSM-7", 2)), sms


def test_sms_segments_count_as_the_network_does():
    assert domain.sms_segments("a" * 160) == ("GSM-7", 1)
    assert domain.sms_segments("a" * 161) == ("GSM-7", 2)
    assert domain.sms_segments("a" * 306) == ("GSM-7", 2)
    assert domain.sms_segments("€" * 80) == ("GSM-7", 1)          # the extension set costs two septets
    assert domain.sms_segments("€" * 81) == ("GSM-7", 2)
    assert domain.sms_segments("Anouk " + "a" * 60) == ("GSM-7", 1)
    assert domain.sms_segments("Zoë " + "a" * 100) == ("UCS-2", 2)   # ë is not GSM-7: the costlier encoding
    assert domain.sms_segments("Loïs " + "a" * 60) == ("UCS-2", 1)
    assert domain.sms_segments("ï" * 135) == ("UCS-2", 3)
    # sent without the accent where GSM-7 has the plain letter; é and ü are GSM-7 themselves
    assert domain.sms_text("Zoë, Loïs, René, Müller, Łukasz") == "Zoe, Lois, René, Müller, Łukasz"


def test_answers_are_classified():
    assert domain.smtp_outcome(250, "ok").status == DELIVERED
    assert domain.smtp_outcome(451, "busy").status == TEMPORARY
    assert domain.smtp_outcome(550, "no such user") == domain.Outcome(PERMANENT, "SMTP 550 no such user")
    assert domain.smtp_outcome(535, "bad credentials").status == domain.TECHNICAL
    assert [domain.webhook_outcome(s).status for s in (200, 204, 408, 429, 500, 503, 400, 401, 404, 410)] == [
        DELIVERED, DELIVERED, TEMPORARY, TEMPORARY, TEMPORARY, TEMPORARY, PERMANENT, PERMANENT, PERMANENT, PERMANENT]
    assert "disabled" in domain.webhook_outcome(410).reason


def test_retries_back_off_with_jitter_then_stop():
    now = datetime(2027, 1, 1, tzinfo=timezone.utc)
    delays = [5, 300, 1800]
    for attempt, delay in enumerate(delays, start=1):
        low = domain.next_attempt(attempt, delays, now, rand=lambda: 0.0)
        high = domain.next_attempt(attempt, delays, now, rand=lambda: 0.999999)
        assert low == now + timedelta(seconds=delay * 0.8) and high <= now + timedelta(seconds=delay * 1.2)
        assert high > low
    assert domain.next_attempt(4, delays, now) is None


def test_a_receivers_retry_after_is_waited_for_but_not_for_ever():
    now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    assert domain.retry_after_seconds("120", now) == 120
    assert domain.retry_after_seconds("Mon, 07 Dec 2026 09:05:00 GMT", now) == 300
    assert domain.retry_after_seconds("Mon, 07 Dec 2026 08:55:00 GMT", now) == 0        # already past
    assert domain.retry_after_seconds("9999999", now) == 86400                           # a day at most
    assert domain.retry_after_seconds("soon", now) is None
    assert domain.retry_after_seconds(None, now) is None
    assert domain.webhook_outcome(429, 120).retry_after == 120
    # the schedule's 5 s, but the receiver asked for two minutes
    assert domain.next_attempt(1, [5, 300], now, rand=lambda: 0.5, at_least=120) == now + timedelta(seconds=120)
    assert domain.next_attempt(1, [5, 300], now, rand=lambda: 0.5, at_least=1) == now + timedelta(seconds=5)


@pytest.mark.parametrize("url, env, problem", [
    ("https://hooks.example.nl/lead", "production", None),
    ("http://hooks.example.nl/lead", "production", "must be an https URL"),
    ("http://127.0.0.1:9000/h", "production", "must be an https URL"),
    ("http://127.0.0.1:9000/h", "development", None),
    ("http://localhost/h", "test", None),
    ("http://[::1]:8080/h", "development", None),
    ("http://10.0.0.5/h", "development", "http is allowed only on a loopback address (use https)"),
    ("ftp://example.nl/x", "development", "must be an https URL"),
    ("https://user:pw@example.nl/x", "production", "must not carry a user name or password"),
    ("not a url", "production", "must be an https URL"),
])
def test_webhook_urls(url, env, problem):
    assert domain.webhook_url_problem(url, env) == problem


def test_keys_and_ids_are_stable_per_event_recipient_template_and_version():
    key = domain.idempotency_key("e1", "intake:1", "intake_confirmation", 1)
    assert key == domain.idempotency_key("e1", "intake:1", "intake_confirmation", 1)
    assert len({key, domain.idempotency_key("e2", "intake:1", "intake_confirmation", 1),
                domain.idempotency_key("e1", "team:noord", "intake_confirmation", 1),
                domain.idempotency_key("e1", "intake:1", "team_new_intake", 1),
                domain.idempotency_key("e1", "intake:1", "intake_confirmation", 2)}) == 5
    assert domain.message_id_header(key, "scholingsalliantie.nl") == f"<{key}@scholingsalliantie.nl>"
    assert domain.webhook_id(key) == f"msg_{key}"


def test_what_each_event_asks_for():
    facts = {"intake_id": "i", "team": "noord", "situation": "werkzoekend", "provider_id": "p"}
    assert [p["template"] for p in messages.planned("intake_submitted", "e1", facts)] == [
        "intake_confirmation", "team_new_intake"]
    assert messages.planned("intake_assigned", "e1", facts) == []
    provider = {"provider_id": "p", "webhook": "https://x", "lead_email": None}
    assert [(p["template"], p["channel"]) for p in messages.planned("lead_shared", "e1", facts, provider)] == [
        ("lead.created", "webhook")]
    assert messages.planned("lead_shared", "e1", facts, {**provider, "webhook": None}) == []


def test_digests_go_out_at_seven():
    monday_noon = datetime(2027, 1, 11, 11, 0, tzinfo=timezone.utc)
    assert domain.next_alert_at("daily", monday_noon, 60).isoformat() == "2027-01-12T07:00:00+01:00"
    assert domain.next_alert_at("weekly", monday_noon, 60).isoformat() == "2027-01-18T07:00:00+01:00"
    assert domain.next_alert_at("immediate", monday_noon, 60) == monday_noon + timedelta(seconds=60)


def test_a_saved_search_in_words_names_the_languages_it_asks_for():
    """Alert mails never named the language filter (it was added to search, not to notify's words)."""
    assert domain.query_text({"q": "vca", "language": ["pl", "ro"]}) == "vca · in het Pools of Roemeens"
    assert domain.query_text({"q": "vca", "language": ["pl"]}, "en") == "vca · in Polish"
    assert domain.query_text({}, "en") == "all courses" and domain.query_text({}) == "alle opleidingen"


def test_a_saved_search_in_words_says_what_the_courses_lead_to():
    asked = {"q": "kraan", "credential": ["bewijs-van-deelname", "diploma"]}
    assert domain.query_text(asked) == "kraan · bewijs van deelname · diploma"
    assert domain.query_text(asked, "en") == "kraan · certificate of attendance · diploma"


def test_a_start_has_moved_when_the_day_told_is_no_start_any_more():
    told, later, other = date(2027, 3, 1), date(2027, 3, 15), date(2027, 4, 1)
    assert domain.start_moved(told, [later, other]) == later
    assert domain.start_moved(told, [told, later]) is None          # still a start (another was added)
    assert domain.start_moved(told, []) is None                     # no start at all: nothing to tell
    assert domain.start_moved(None, [later]) is None                # the alert told no start

