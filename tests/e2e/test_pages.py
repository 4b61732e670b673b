"""The pages over HTTP (no browser: tests/browser drives one): each answers in Dutch and English,
carries its security headers, keeps its forms safe with a CSRF token, says what is wrong beside
each field, and takes a person from a situation to "we call you by ..."; providers and advisors
at work. The pages call the same services as the API: what they show equals what the API says."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

import requests

from services.chassis import texts
from services.contracts.intake import reference
from tests.e2e.test_intake import person, published_course
from tests.infra import eventually, form_token


def browser(platform) -> requests.Session:
    session = requests.Session()
    session.base = platform.url
    return session


def get(session, path, **params):
    return session.get(session.base + path, params=params, timeout=30)


def test_home_and_its_headers(platform):
    s = browser(platform)
    page = get(s, "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.text
    assert '<html lang="nl">' in html and 'href="#main"' in html and "<main id=\"main\">" in html
    assert html.count('href="/zoeken?situation=') == 5
    assert "http://" not in html.replace(platform.url, "") and "https://" not in html     # nothing from elsewhere
    english = get(s, "/", lang="en").text
    assert '<html lang="en">' in english and "Which situation is yours?" in english
    assert '<html lang="en">' in get(s, "/toegankelijkheid").text        # remembered
    assert '<html lang="nl">' in get(s, "/", lang="nl").text
    css = get(s, "/static/site.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert get(s, "/static/../service.py").status_code == 404
    assert len(html.encode()) + len(css.content) + len(get(s, "/static/site.js").content) < 200_000


def test_search_results_filters_and_zero_results(platform, provider, anonymous):
    course = published_course(provider, platform)
    eventually(lambda: any(h["course_id"] == course["id"] for h in anonymous.get(
        "/api/v1/search", params={"q": "heftruck", "province": "Limburg", "page_size": 100}).json()["hits"]),
        message="searchable")
    s = browser(platform)
    page = get(s, "/zoeken", q="heftrukc", province="Limburg", situation="werkzoekend", page_size=100)   # a typo, a region
    assert page.status_code == 200
    html = page.text
    assert f'/opleidingen/{course["id"]}?search_id=' in html and "<mark>" in html
    api = anonymous.get("/api/v1/search", params={"q": "heftrukc", "province": "Limburg", "situation": "werkzoekend",
                                                  "page_size": 100}).json()
    assert f"<strong>{api['total']}</strong>" in html        # the page says what the API says
    assert re.search(r'name="province" value="Limburg" checked', html)
    assert "Regelingen voor jouw situatie" in html
    nothing = get(s, "/zoeken", q=f"zq{uuid.uuid4().hex[:6]}").text
    assert "We vonden niets" in nothing
    elsewhere = get(s, "/zoeken", q="heftruck", province="Zeeland").text
    assert "het dichtst bij in" in elsewhere
    bad = get(s, "/zoeken", q="heftruck", max_price="veel", start_from="morgen")
    assert bad.status_code == 400 and bad.text.count("<title>Fout: ") == 1
    assert 'href="#max_price"' in bad.text and 'id="max_price-error"' in bad.text
    assert 'aria-invalid="true"' in bad.text and 'aria-describedby="max_price-error"' in bad.text


def test_from_a_situation_to_we_call_you_by(platform, provider, teams, anonymous):
    course = published_course(provider, platform)
    s = browser(platform)
    search = anonymous.get("/api/v1/search", params={"q": "heftruck intake"}).json()
    page = get(s, f"/opleidingen/{course['id']}", search_id=search["search_id"])
    assert page.status_code == 200 and "Ik wil dit, bel mij" in page.text and "Venlo" in page.text
    form = get(s, f"/opleidingen/{course['id']}/aanvragen", search_id=search["search_id"]).text
    token = form_token(form)
    assert "versie" in form and 'name="consent"' in form

    empty = s.post(f"{s.base}/opleidingen/{course['id']}/aanvragen", data={"csrf": token}, allow_redirects=False)
    assert empty.status_code == 400 and "<title>Fout: " in empty.text
    for field in ("situation", "name", "consent"):
        assert f'href="#{field}"' in empty.text, field
    assert 'aria-invalid="true"' in empty.text
    no_csrf = s.post(f"{s.base}/opleidingen/{course['id']}/aanvragen", data={"name": "x"}, allow_redirects=False)
    assert no_csrf.status_code == 403 and "verlopen" in no_csrf.text

    body = person()
    filled = {"csrf": token, "situation": "werkzoekend", "name": body["name"], "phone": body["phone"],
              "email": body["email"], "postcode": "9712 CP", "preferred_contact": "phone", "consent": "ja",
              "search_id": search["search_id"]}
    checked = s.post(f"{s.base}/opleidingen/{course['id']}/aanvragen", data=filled, allow_redirects=False)
    assert checked.status_code == 200 and "Controleer je gegevens" in checked.text and body["name"] in checked.text
    change = s.post(f"{s.base}/opleidingen/{course['id']}/aanvragen", data={**filled, "stap": "wijzigen"})
    assert change.status_code == 200 and f'value="{body["email"]}"' in change.text and 'value="ja" checked' in change.text
    sent = s.post(f"{s.base}/opleidingen/{course['id']}/aanvragen", data={**filled, "stap": "versturen"},
                  allow_redirects=False)
    assert sent.status_code == 303, sent.text[:500]
    confirmation = get(s, sent.headers["Location"].split("?")[0], **dict(
        p.split("=", 1) for p in sent.headers["Location"].split("?")[1].split("&")))
    assert "Je aanvraag is verstuurd" in confirmation.text and "Leerwerkloket Noord" in confirmation.text
    intake_id = sent.headers["Location"].split("/")[2].split("?")[0]
    person_token = re.search(r"token=([^&]+)", sent.headers["Location"]).group(1)
    status = anonymous.get(f"/api/v1/intakes/{intake_id}/status", params={"token": person_token}).json()
    due = texts.deadline_text(datetime.fromisoformat(status["callback_due_by"]), "nl")
    assert f"uiterlijk {due}" in confirmation.text          # the moment the API and the mail say
    assert re.search(r"Je kenmerk is <strong>SA-[0-9A-F]{4}-[0-9A-F]{4}</strong>", confirmation.text)
    # back, and send it again: the same request, not a second one
    again = s.post(f"{s.base}/opleidingen/{course['id']}/aanvragen", data={**filled, "stap": "versturen"},
                   allow_redirects=False)
    assert again.status_code == 303 and f"/aanvraag/{intake_id}?" in again.headers["Location"] and "al=1" in again.headers["Location"]
    assert "Je hebt dit al aangevraagd" in s.get(s.base + again.headers["Location"], timeout=30).text
    elsewhere = browser(platform)         # another browser: told so, without the link
    elsewhere_csrf = form_token(get(elsewhere, "/aanvragen").text)
    other = elsewhere.post(f"{s.base}/opleidingen/{course['id']}/aanvragen", timeout=30,
                           data={**filled, "stap": "versturen", "csrf": elsewhere_csrf})
    assert other.status_code == 200 and "Je hebt dit al aangevraagd" in other.text and person_token not in other.text
    readable = get(s, f"/aanvraag/{intake_id}/gegevens/bekijken", token=person_token)
    assert readable.status_code == 200 and body["name"] in readable.text and "Wie je gegevens las" in readable.text
    export = get(s, f"/aanvraag/{intake_id}/gegevens", token=person_token)
    assert export.status_code == 200 and export.json()["intake"]["name"] == body["name"]
    question = get(s, f"/aanvraag/{intake_id}/wissen", token=person_token)
    assert question.status_code == 200 and "Weet je zeker" in question.text and 'method="post"' in question.text
    assert get(s, f"/aanvraag/{intake_id}", token=person_token).status_code == 200      # asking erased nothing
    erased = s.post(f"{s.base}/aanvraag/{intake_id}/wissen", data={"csrf": token, "token": person_token})
    assert erased.status_code == 200 and "gewist" in erased.text
    assert get(s, f"/aanvraag/{intake_id}", token=person_token).status_code == 404


def test_a_provider_uploads_a_file_with_a_bad_line_and_sees_it(platform, provider):
    s = browser(platform)
    login = get(s, "/aanbieders").text
    assert 'name="token"' in login
    refused = s.post(f"{s.base}/aanbieders/inloggen", data={"csrf": form_token(login), "token": "sa_nope"})
    assert refused.status_code == 401 and "onbekend" in refused.text
    signed = s.post(f"{s.base}/aanbieders/inloggen", data={"csrf": form_token(login), "token": provider.token},
                    allow_redirects=False)
    assert signed.status_code == 303 and "HttpOnly" in signed.headers["Set-Cookie"] and "SameSite=Strict" in signed.headers["Set-Cookie"]
    home = get(s, "/aanbieders").text
    assert "je opleidingen" in home
    good = '{"external_id": "P-1", "title": "Lassen basis", "level": "mbo-2", "offerings": []}'
    lines = good + "\n" + '{"external_id": "P-2", "title": "", "level": "mbo-9"}\n'
    upload = s.post(f"{s.base}/aanbieders/import", data={"csrf": form_token(home), "format": "ndjson", "mode": "upsert"},
                    files={"file": ("cursussen.ndjson", lines.encode(), "application/x-ndjson")}, allow_redirects=False)
    assert upload.status_code == 303, upload.text[:300]
    progress = eventually(lambda: (lambda p: p if "Afgekeurde regels" in p else None)(get(s, upload.headers["Location"]).text),
                          timeout=20, interval=0.5, message="the import finished")
    assert "title" in progress and "level" in progress and "1 regel goed" in progress
    assert "Lassen basis" in get(s, "/aanbieders").text


def test_an_advisor_records_an_outcome(platform, teams, anonymous):
    intake = anonymous.post("/api/v1/intakes", json=person()).json()
    s = browser(platform)
    login = get(s, "/adviseurs").text
    s.post(f"{s.base}/adviseurs/inloggen", data={"csrf": form_token(login), "token": teams["noord"].token})
    # the newest request is due last: the advisor pages through the list (overdue first) to it
    listed, number = get(s, "/adviseurs").text, 1
    while f'/adviseurs/intakes/{intake["id"]}' not in listed:
        assert f'href="/adviseurs?pagina={number + 1}"' in listed, f"not on page {number}, and no next page"
        number += 1
        listed = get(s, f"/adviseurs?pagina={number}").text
        assert f'<span aria-current="page">Pagina {number}</span>' in listed
    one = get(s, f"/adviseurs/intakes/{intake['id']}").text
    token = form_token(one)
    wrong = s.post(f"{s.base}/adviseurs/intakes/{intake['id']}", data={"csrf": token, "type": "enrolled"})
    assert wrong.status_code == 409 and "<title>Fout: " in wrong.text
    done = s.post(f"{s.base}/adviseurs/intakes/{intake['id']}", data={"csrf": token, "type": "call_attempted",
                                                                      "note": "voicemail"})
    assert done.status_code == 200 and "Vastgelegd" in done.text and "voicemail" in done.text
    # from the link in the team's mail, not signed in: sign in there, and land on that request
    other = browser(platform)
    asked = get(other, f"/adviseurs/intakes/{intake['id']}")
    assert asked.status_code == 200 and f'name="next" value="/adviseurs/intakes/{intake["id"]}"' in asked.text
    signed = other.post(f"{other.base}/adviseurs/inloggen", allow_redirects=False, data={
        "csrf": form_token(asked.text), "token": teams["noord"].token, "next": f"/adviseurs/intakes/{intake['id']}"})
    assert signed.status_code == 303 and signed.headers["Location"] == f"/adviseurs/intakes/{intake['id']}"
    elsewhere = other.post(f"{other.base}/adviseurs/inloggen", allow_redirects=False, data={
        "csrf": form_token(asked.text), "token": teams["noord"].token, "next": "https://elders.example/adviseurs/x"})
    assert elsewhere.headers["Location"] == "/adviseurs"


def test_the_advisors_list_names_the_person_and_what_they_asked_with_filters_and_a_search(platform, teams, anonymous,
                                                                                          provider):
    course = published_course(provider, platform)
    body = person(course_id=course["id"], name=f"Fenna {uuid.uuid4().hex[:6]}")
    intake = anonymous.post("/api/v1/intakes", json=body).json()
    s = browser(platform)
    s.post(f"{s.base}/adviseurs/inloggen", data={"csrf": form_token(get(s, "/adviseurs").text),
                                                 "token": teams["noord"].token})
    digits = "".join(ch for ch in body["phone"] if ch.isdigit())
    for words in (body["name"].split()[1], f"{digits[:2]} {digits[2:6]} {digits[6:]}", reference(intake["id"])):
        found = get(s, "/adviseurs", zoek=words).text
        assert body["name"] in found and "Wil: Heftruck intake" in found, words
        assert found.count('<li>\n<h2><a href="/adviseurs/intakes/') == 1, words
    link = f'href="/adviseurs/intakes/{intake["id"]}"'
    assert link not in get(s, "/adviseurs", zoek=body["name"], status="closed").text
    assert link not in get(s, "/adviseurs", zoek=body["name"], mijn="1").text
    one = get(s, f"/adviseurs/intakes/{intake['id']}").text
    offered = re.findall(r'name="type" value="([a-z_]+)"', one)
    assert offered == ["call_attempted", "waiting_for_person", "advice_given", "closed"]     # not "enrolled" yet
    s.post(f"{s.base}/adviseurs/intakes/{intake['id']}", data={"csrf": form_token(one), "type": "call_attempted"})
    assert link in get(s, "/adviseurs", zoek=body["name"], mijn="1").text
    # every name the list showed is a logged read, which the person sees
    log = anonymous.get(f"/api/v1/intakes/{intake['id']}/export", params={"token": intake["token"]}).json()["access_log"]
    assert any(entry["what"] == "saw the name in a list" for entry in log)


def test_an_error_names_a_search_field_by_the_label_the_form_shows(anonymous):
    """The error summary of the results page names each field with the words of its own label
    (they disagreed in four places). Read from the page as a person reads it."""
    import html as html_lib

    for lang in ("nl", "en"):
        answer = anonymous.get("/zoeken", params={"radius_km": "ver", "start_from": "morgen", "max_price": "-1",
                                                  "sort": "willekeurig", "situation": "student", "lang": lang})
        assert answer.status_code == 400
        labels = {field: html_lib.unescape(text.strip()) for field, text in
                  re.findall(r'<label for="([a-z_]+)">([^<]+)</label>', answer.text)}
        summary = dict(re.findall(r'<li><a href="#([a-z_]+)">([^<]+)</a></li>', answer.text))
        assert {"radius_km", "start_from", "max_price", "sort", "situation"} <= set(summary), summary
        for field, message in summary.items():
            assert html_lib.unescape(message).startswith(labels[field] + ":"), (lang, field, message, labels.get(field))


def test_what_a_course_leads_to_is_a_filter_of_the_api_and_the_page(platform, provider, anonymous):
    """The credential filter: the API filters and counts by it, and the results page offers it as
    a group of checkboxes in words, in both languages."""
    word = f"kraan{uuid.uuid4().hex[:6]}"
    course = published_course(provider, platform, keywords=[word], credential="bewijs-van-deelname")
    eventually(lambda: anonymous.get("/api/v1/search", params={"q": word}).json()["total"] == 1, message="searchable")
    attended = anonymous.get("/api/v1/search", params={"q": word, "credential": ["bewijs-van-deelname", "diploma"]})
    assert [h["course_id"] for h in attended.json()["hits"]] == [course["id"]]
    assert attended.json()["facets"]["credential"] == {"bewijs-van-deelname": 1}
    assert anonymous.get("/api/v1/search", params={"q": word, "credential": "diploma"}).json()["total"] == 0
    bad = anonymous.get("/api/v1/search", params={"q": word, "credential": "rijbewijs"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["credential.0"]

    s = browser(platform)
    html = get(s, "/zoeken", q=word, credential="bewijs-van-deelname").text
    assert f'/opleidingen/{course["id"]}?search_id=' in html
    assert "<legend>Diploma of certificaat</legend>" in html
    assert re.search(r'name="credential" value="bewijs-van-deelname" checked><label for="credential-\d+">'
                     r'bewijs van deelname <span class="count"[^>]*>\(1\)', html)
    english = get(s, "/zoeken", q=word, lang="en").text
    assert "<legend>Diploma or certificate</legend>" in english and ">certificate of attendance <" in english
    assert f'/opleidingen/{course["id"]}?search_id=' not in get(s, "/zoeken", q=word, credential="diploma").text


def test_an_address_that_leads_nowhere_is_a_page_with_the_way_on(platform, anonymous):
    s = browser(platform)
    for path in ("/bestaat-niet", "/zoeken/", "/Zoeken", "/opleidingen"):
        answer = get(s, path)
        assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html"), path
        html = answer.text
        assert '<html lang="nl">' in html and "Deze pagina bestaat niet (meer)" in html, path
        assert 'aria-label="Hoofdmenu"' in html and 'action="/zoeken"' in html and 'href="/"' in html, path
    assert "Search for a course" in get(s, "/bestaat-niet", lang="en").text
    api = anonymous.get("/api/v1/bestaat-niet")
    assert api.status_code == 404 and api.headers["Content-Type"] == "application/problem+json"


def test_a_provider_reads_a_shared_leads_contact_details_on_its_page(platform, provider, anonymous, teams):
    course = published_course(provider, platform)
    body = person(course_id=course["id"], share_with_provider=True)
    intake = anonymous.post("/api/v1/intakes", json=body)
    assert intake.status_code == 201, intake.text
    s = browser(platform)
    login = get(s, "/aanbieders").text
    s.post(f"{s.base}/aanbieders/inloggen", data={"csrf": form_token(login), "token": provider.token})
    home = eventually(lambda: (lambda h: h if f'/aanbieders/leads/{intake.json()["id"]}' in h else None)(
        get(s, "/aanbieders").text), timeout=15, message="the lead listed")
    assert body["name"] not in home          # the list names no one: the lead's page does, and logs it
    lead = get(s, f'/aanbieders/leads/{intake.json()["id"]}')
    assert lead.status_code == 200 and body["name"] in lead.text and body["message"] in lead.text
    digits = body["phone"].replace(" ", "")[1:]
    assert digits in lead.text.replace(" ", "") and body["email"] in lead.text
    export = anonymous.get(f'/api/v1/intakes/{intake.json()["id"]}/export', params={"token": intake.json()["token"]})
    assert any("lead" in str(entry) for entry in export.json()["access_log"]), export.json()["access_log"]
    outsider = requests.get(f'{platform.url}/aanbieders/leads/{intake.json()["id"]}', allow_redirects=False, timeout=30)
    assert outsider.status_code == 303 and outsider.headers["Location"] == "/aanbieders"


# ------------------------------------------------------------------ the person, as people use the pages


def _scheme(admin, situations: list[str], amount: int = 400) -> dict:
    today = datetime.now().date()
    answer = admin.post("/api/v1/funding-schemes", json={
        "code": f"regeling-{uuid.uuid4().hex[:6]}", "name": f"Budget {uuid.uuid4().hex[:4]}", "funder": "Fonds Logistiek",
        "valid_from": str(today), "max_amount_eur": amount, "eligible_situations": situations})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_course_page_says_what_remains_only_for_a_scheme_of_the_persons_situation(platform, provider, admin):
    """A scheme for employers says nothing of what a job seeker pays; without a situation the
    page lists the schemes and asks which situation is theirs. Prices and dates in words."""
    for_employers = _scheme(admin, ["werkgever"])
    course = published_course(provider, platform, funding_schemes=[for_employers["code"]])
    s = browser(platform)
    seeker = get(s, f"/opleidingen/{course['id']}", situation="werkzoekend").text
    assert "Jij betaalt misschien nog" not in seeker and "Geen van de regelingen" in seeker
    employer = get(s, f"/opleidingen/{course['id']}", situation="werkgever").text
    assert "Jij betaalt misschien nog" in employer and for_employers["name"] in employer
    assert "€\xa00" in employer.split("Jij betaalt misschien nog")[1][:200]       # 325 less at most 400
    anyone = get(s, f"/opleidingen/{course['id']}").text
    assert "Jij betaalt misschien nog" not in anyone and "Welke situatie past bij jou?" in anyone
    assert anyone.count(f'href="?situation=') == 5
    shown = anyone.split("</head>")[1]
    assert "€\xa0325" in shown and "325.00" not in shown and "mbo niveau 2" in shown
    assert not re.search(r">[^<]*\d{4}-\d{2}-\d{2}[^<]*<", shown)   # no ISO date shown
    structured = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', anyone, re.S).group(1))
    assert structured["@type"] == "Course" and structured["hasCourseInstance"][0]["@type"] == "CourseInstance"
    assert structured["hasCourseInstance"][0]["offers"]["price"] == "325.00"


def test_the_results_page_offers_the_funding_schemes_by_name_and_the_filters_as_chips(platform, provider, admin):
    for_seekers, for_employers = _scheme(admin, ["werkzoekend"]), _scheme(admin, ["werkgever"])
    s = browser(platform)
    page = get(s, "/zoeken", q="heftruck", situation="werkzoekend", level="mbo-2").text
    funding = re.search(r'<select id="funding" name="funding".*?</select>', page, re.S).group()
    assert f'value="{for_seekers["code"]}"' in funding and f'{for_seekers["name"]} (Fonds Logistiek)' in funding
    assert for_employers["code"] not in funding
    chips = re.search(r'<ul class="chips".*?</ul>', page, re.S).group()
    assert "mbo niveau 2" in chips and 'href="/zoeken?q=heftruck&amp;situation=werkzoekend"' in chips


def test_sorting_by_distance_without_a_place_asks_for_one_in_dutch(platform):
    page = get(browser(platform), "/zoeken", q="heftruck", sort="distance")
    assert page.status_code == 400
    assert "Vul een plaats of postcode in om op afstand te sorteren" in page.text and "needs" not in page.text


def test_the_results_page_saves_the_search_with_a_confirmation_mail(platform, mail_server):
    s = browser(platform)
    page = get(s, "/zoeken", q="heftruck", level="mbo-2")
    token = form_token(page.text)
    address = f"bewaar.{uuid.uuid4().hex[:6]}@example.nl"
    bad = s.post(f"{s.base}/zoeken/bewaren", data={"csrf": token, "q": "heftruck", "level": "mbo-2", "email": "geen"},
                 timeout=30)
    assert bad.status_code == 400 and 'id="email-error"' in bad.text and "Field" not in bad.text
    saved = s.post(f"{s.base}/zoeken/bewaren", data={"csrf": token, "q": "heftruck", "level": "mbo-2", "email": address},
                   timeout=30, allow_redirects=False)
    assert saved.status_code == 303 and "bewaard=1" in saved.headers["Location"]
    assert "we stuurden je een mail" in s.get(s.base + saved.headers["Location"], timeout=30).text
    mail = eventually(lambda: mail_server.to(address), timeout=15, message="the confirmation mail")[0]
    assert "/zoekopdrachten/bevestigen?token=" in mail.get_body(("plain",)).get_content()


def test_every_mistake_in_the_request_form_is_named_at_once_in_the_pages_language(platform):
    """Consent, name, phone and postcode wrong together: one round names them all, the intake's
    own words kept ("zoals 1234 AB"), addressed as "je"; in English on the English page."""
    for lang, postcode_words, consent_words in (("nl", "zoals 1234 AB", "zonder je toestemming"),
                                                ("en", "like 1234 AB", "without your consent")):
        s = browser(platform)
        token = form_token(get(s, "/aanvragen", lang=lang).text)
        answer = s.post(f"{s.base}/aanvragen", timeout=30, data={
            "csrf": token, "lang": lang, "situation": "werkzoekend", "phone": "0800 1234", "postcode": "12",
            "preferred_contact": "phone"})
        assert answer.status_code == 400
        fields = re.findall(r'<p class="error-message" id="([a-z_]+)-error">', answer.text)
        assert set(fields) == {"name", "phone", "postcode", "consent"}, fields
        text = re.sub(r"<[^>]+>", " ", answer.text)
        assert postcode_words in text and consent_words.lower() in text.lower()
        assert "niet goed ingevuld" not in text and "Field required" not in text
        if lang == "nl":
            assert not re.search(r"\b(u|uw|wij)\b", text), re.search(r".{30}\b(u|uw|wij)\b.{30}", text)


def test_the_status_page_tells_the_truth_after_advice(platform, anonymous, teams, mail_server):
    """Once advice is given the page no longer promises a call; it names the steps in words, the
    Leerwerkloket's phone number and what was sent to the person."""
    body = person(preferred_contact="email")
    intake = anonymous.post("/api/v1/intakes", json=body).json()
    s = browser(platform)
    eventually(lambda: mail_server.to(body["email"]), timeout=15, message="the confirmation")
    before = get(s, f"/aanvraag/{intake['id']}", token=intake["token"]).text
    assert "belt je uiterlijk" in before and 'href="tel:0501234567"' in before
    assert eventually(lambda: "Bevestiging van je aanvraag per e-mail" in get(
        s, f"/aanvraag/{intake['id']}", token=intake["token"]).text or None, timeout=15, message="what was sent")
    assert teams["noord"].post(f"/api/v1/intakes/{intake['id']}/events", json={"type": "advice_given"}).status_code == 200
    after = re.sub(r"<[^>]+>", " ", get(s, f"/aanvraag/{intake['id']}", token=intake["token"]).text)
    assert "belt je uiterlijk" not in after and "Je hebt advies gekregen" in after and "Advies gegeven" in after
    assert "advice_given" not in after


def _provider_session(platform, provider) -> requests.Session:
    s = browser(platform)
    s.post(f"{s.base}/aanbieders/inloggen", data={"csrf": form_token(get(s, "/aanbieders").text), "token": provider.token})
    return s


def test_a_provider_reads_rejections_in_words_naming_the_column_and_downloads_them(platform, provider):
    s = _provider_session(platform, provider)
    home = get(s, "/aanbieders").text
    template = get(s, "/aanbieders/sjabloon.csv")
    assert template.status_code == 200 and template.text.startswith("external_id,title,description")
    assert "<code>level</code>" in home           # the column list on the upload page
    rows = template.text.strip().split("\r\n")
    bad = rows[1].replace("HEF-01", "HEF-02").replace(",mbo-2,", ",mbo-9,").replace("2027-03-01", "1 maart")
    csv_file = "\r\n".join([rows[0], rows[1].replace("HEF-01", f"T-{uuid.uuid4().hex[:6]}"), bad]) + "\r\n"
    wrong = s.post(f"{s.base}/aanbieders/import", data={"csrf": form_token(home), "format": "ndjson", "mode": "upsert"},
                   files={"file": ("cursussen.csv", csv_file.encode(), "text/csv")})
    assert wrong.status_code == 400 and "Dit lijkt een CSV-bestand: kies CSV als formaat" in wrong.text
    upload = s.post(f"{s.base}/aanbieders/import", data={"csrf": form_token(home), "format": "csv", "mode": "upsert"},
                    files={"file": ("cursussen.csv", csv_file.encode(), "text/csv")}, allow_redirects=False)
    assert upload.status_code == 303
    done = eventually(lambda: (lambda p: p if "Afgekeurde regels" in p else None)(get(s, upload.headers["Location"]).text),
                      timeout=20, interval=0.5, message="the import finished")
    text = re.sub(r"<[^>]+>", "", done)
    assert "1 regel goed" in text and "kolom level: kies een van: praktijkleren, mbo-1" in text
    assert "kolom start_date: is geen datum" in text and "Field required" not in text and "offerings.0" not in text
    rejections = get(s, upload.headers["Location"] + "/afgekeurd.csv")
    assert rejections.status_code == 200 and rejections.text.startswith("regel,eigen_id,kolom,wat_er_niet_klopt")
    assert '3,HEF-02,level,"kies een van: praktijkleren' in rejections.text


def test_a_provider_changes_withdraws_and_publishes_again_a_course_on_the_pages(platform, provider):
    course = published_course(provider, platform)
    s = _provider_session(platform, provider)
    form = get(s, f"/aanbieders/opleidingen/{course['id']}").text
    token, version = form_token(form), re.search(r'name="version" value="(\d+)"', form).group(1)
    fields = dict(re.findall(r'<input id="(o-0-[a-z_]+)" name="[^"]+" type="[a-z]+" value="([^"]*)"', form))
    base = {"csrf": token, "version": version, "title": "Heftruck rijden, vernieuwd", "description": "Nieuw",
            "o-0-mode": "klassikaal", "o-0-status": "open", **fields, "o-1-external_id": ""}
    bad = s.post(f"{s.base}/aanbieders/opleidingen/{course['id']}", data={**base, "o-0-end_date": "2000-01-01"})
    assert bad.status_code == 400 and 'id="o-0-end_date-error"' in bad.text
    assert "de einddatum ligt voor de startdatum" in bad.text
    saved = s.post(f"{s.base}/aanbieders/opleidingen/{course['id']}", data=base, allow_redirects=False)
    assert saved.status_code == 303 and "opgeslagen=1" in saved.headers["Location"]
    assert provider.get(f"/api/v1/courses/{course['id']}").json()["title"] == "Heftruck rijden, vernieuwd"
    stale = s.post(f"{s.base}/aanbieders/opleidingen/{course['id']}", data={**base, "title": "Te laat"})
    assert stale.status_code == 409 and "intussen gewijzigd" in stale.text
    assert provider.get(f"/api/v1/courses/{course['id']}").json()["title"] == "Heftruck rijden, vernieuwd"
    question = get(s, f"/aanbieders/opleidingen/{course['id']}/terugtrekken").text
    assert "Wil je “Heftruck rijden, vernieuwd” terugtrekken?" in question
    assert provider.get(f"/api/v1/courses/{course['id']}").json()["status"] == "published"   # asking changed nothing
    s.post(f"{s.base}/aanbieders/opleidingen/{course['id']}/terugtrekken", data={"csrf": token})
    assert provider.get(f"/api/v1/courses/{course['id']}").json()["status"] == "withdrawn"
    home = get(s, "/aanbieders").text
    assert f'action="/aanbieders/opleidingen/{course["id"]}/publiceren"' in home
    s.post(f"{s.base}/aanbieders/opleidingen/{course['id']}/publiceren", data={"csrf": token})
    assert provider.get(f"/api/v1/courses/{course['id']}").json()["status"] == "published"


def test_the_results_page_asks_did_you_mean_with_the_correction_the_api_computes(platform, provider, anonymous):
    published_course(provider, platform)
    eventually(lambda: anonymous.get("/api/v1/search", params={"q": "heftruck intake"}).json()["total"] or None,
               message="searchable")
    answer = anonymous.get("/api/v1/search", params={"q": "heftrukc"}).json()
    assert answer["query"]["did_you_mean"] == "heftruck", answer["query"]
    page = get(browser(platform), "/zoeken", q="heftrukc").text
    assert 'Bedoelde je: <a href="/zoeken?q=heftruck">heftruck</a>?' in page
    assert "Bedoelde je" not in get(browser(platform), "/zoeken", q="heftruck").text
