"""The pages in a real browser (Debian's chromium, driven by Playwright), in a pytest process of
its own without eventlet (``make test`` runs it after the main suite): the whole journey from a
situation to "we call you by ..." with JavaScript and without; a provider's upload with a bad
line; an advisor's outcome; axe-core on every page in every state, Dutch and English, with no
violation; a keyboard walk (Tab only) reaching every action in order; a screenshot of each."""
from __future__ import annotations

import re
import uuid

from typing import get_args

import pytest
import requests

from services.contracts.courses import Credential, Level, Mode, ProviderKind, Sector, Situation
from services.contracts.intake import IntakeStatus, StepType
from tests.infra import ROOT

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE, DESKTOP, NARROW = {"width": 390, "height": 844}, {"width": 1280, "height": 800}, {"width": 320, "height": 640}
# what a person must never read on a page: an ISO date, a code (a value with a hyphen or an
# underscore that is not itself a word people write), a price with a decimal point (Dutch pages)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DECIMAL_PRICE = re.compile(r"€\s?\d+\.\d{2}\b")
WORDS_WITH_HYPHENS = {"hbo-bachelor", "hbo-master", "wo-bachelor", "wo-master"}
SLUGS = sorted({code for kind in (Level, Sector, Situation, Credential, Mode, IntakeStatus, StepType, ProviderKind)
                for code in get_args(kind) if ("-" in code or "_" in code) and code not in WORDS_WITH_HYPHENS})
AXE = ROOT / ".run" / "node" / "node_modules" / "axe-core" / "axe.min.js"     # npm put it there (make setup)
CHECKED: list[str] = []


def phone() -> str:
    return f"06 1{uuid.uuid4().int % 10**7:07d}"


def check(page, name: str, screenshots, javascript: bool = True) -> None:
    """axe-core on the page as it is now (every WCAG 2.0/2.1 A and AA rule), a screenshot. (The
    context bypasses the pages' CSP so axe can be injected; without JavaScript the same HTML was
    checked in the run with it: only the screenshot.)"""
    readable(page, name)
    if not javascript:
        page.screenshot(path=str(screenshots / f"nojs-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"), full_page=True)
        return
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == [], f"{name}: {violations}"
    CHECKED.append(name)
    page.screenshot(path=str(screenshots / f"{len(CHECKED):03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"),
                    full_page=True)


def readable(page, name: str) -> None:
    """What a person reads: no code, ISO date or decimal-point price, and nothing wider than the
    screen (no sideways scrolling)."""
    text = page.locator("body").inner_text()
    assert not ISO_DATE.search(text), f"{name}: an ISO date: {ISO_DATE.search(text).group()}"
    codes = [code for code in SLUGS if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]
    assert not codes, f"{name}: codes on the page: {codes}"
    if page.locator("html").get_attribute("lang") == "nl":
        assert not DECIMAL_PRICE.search(text), f"{name}: a price with a decimal point: {DECIMAL_PRICE.search(text).group()}"
    wide, screen = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= screen, f"{name}: {wide} px wide on a {screen} px screen"


def keyboard_walk(page, name: str) -> None:
    """Tab from the top: every visible link, button and field is reached, in document order."""
    actions = page.evaluate("""() => Array.from(document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary')).filter(e => {
          const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
          // inside a closed <details> (a summary: the one it opens does not count)
          const around = e.tagName === 'SUMMARY' ? e.parentElement.parentElement : e.parentElement;
          return !e.disabled && e.tabIndex >= 0 && s.visibility !== 'hidden' && s.display !== 'none' &&
                 !(around && around.closest('details:not([open])')) &&
                 !e.closest('[hidden]') && !e.closest('.honeypot') && (r.width > 0 || e.classList.contains('skip'));
        }).map((e, i) => { e.dataset.walk = i; return i; })""")
    radio_groups = page.evaluate("() => Array.from(document.querySelectorAll('input[type=radio][data-walk]'))"
                                 ".map(e => [parseInt(e.dataset.walk), e.name])")
    # a radio group is one stop (its chosen radio, else its first; the arrow keys choose within it)
    groups: dict[str, list[int]] = {}
    for index, group in radio_groups:
        groups.setdefault(group, []).append(index)
    expected = [i for i in actions if not any(i == j for j, _ in radio_groups)]

    def missing() -> list[int]:
        return [i for i in expected if i not in reached] + [
            members[0] for members in groups.values() if not set(members) & set(reached)]

    reached: list[int] = []
    # start from the top of the page, wherever the focus is now (an error summary takes it)
    page.evaluate("() => { const start = document.createElement('div'); start.tabIndex = -1; "
                  "document.body.prepend(start); start.focus(); }")
    for _ in range(2 * len(actions) + 10):     # a date field is three stops (day, month, year)
        page.keyboard.press("Tab")
        index = page.evaluate("() => { const e = document.activeElement; "
                              "return e && e.dataset.walk !== undefined ? parseInt(e.dataset.walk) : null }")
        if index is None:
            continue
        if index not in reached:
            reached.append(index)
        if not missing():
            break
    left = missing()
    if left:
        what = page.evaluate("ids => ids.map(i => i + ': ' + document.querySelector(`[data-walk='${i}']`).outerHTML"
                             ".slice(0, 60))", sorted(left))
        raise AssertionError(f"{name}: Tab never reached {len(left)} of {len(expected)} actions: {what} "
                             f"(reached {reached})")
    assert reached == sorted(reached), f"{name}: Tab does not follow the page's order"


def test_the_journey_with_and_without_javascript(browser, platform, world, screenshots):
    for javascript in (True, False):
        # with JavaScript on a phone, without on a desktop
        screen = PHONE if javascript else DESKTOP
        context = browser.new_context(java_script_enabled=javascript, locale="nl-NL", bypass_csp=True, viewport=screen)
        page = context.new_page()
        label = "met JS, telefoon" if javascript else "zonder JS, desktop"
        page.goto(platform.url + "/")
        check(page, f"home ({label})", screenshots, javascript)
        if javascript:
            keyboard_walk(page, "home")
        page.get_by_role("link", name="Ik zoek werk").click()
        check(page, f"zoeken: situatie ({label})", screenshots, javascript)
        page.get_by_label("Zoekwoorden").fill("heftrukc")             # a typo
        if not page.locator("details.filters").evaluate("d => d.open"):     # folded on a phone, and without JS
            page.locator("details.filters > summary").click()
        page.get_by_label(re.compile(r"^Limburg")).check()
        page.get_by_role("button", name="Toon opleidingen").click()
        assert "Heftruck rijden met certificaat" in page.content()
        first = page.locator(".results h2 a").first.bounding_box()
        assert first["y"] + first["height"] <= 2 * screen["height"], f"the first result is {first['y']} px down"
        check(page, f"zoeken: resultaten ({label})", screenshots, javascript)
        if javascript:
            keyboard_walk(page, "zoeken")
        page.get_by_role("link", name="Heftruck rijden met certificaat").click()
        assert "Venlo" in page.content()
        check(page, f"opleiding ({label})", screenshots, javascript)
        if javascript:
            keyboard_walk(page, "opleiding")
        page.get_by_role("link", name="Ik wil dit, bel mij").click()
        check(page, f"aanvraag: leeg ({label})", screenshots, javascript)
        page.get_by_label("Postcode").fill("12")                 # wrong, and consent not given: one round
        page.get_by_role("button", name="Ga verder").click()
        assert page.title().startswith("Fout: ")
        summary = page.locator(".error-summary")
        named = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert {"#name", "#phone", "#postcode", "#consent"} <= set(named), named
        check(page, f"aanvraag: fouten ({label})", screenshots, javascript)
        if javascript:
            assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
            keyboard_walk(page, "aanvraag met fouten")
            summary.get_by_role("link", name=re.compile("^Toestemming")).click()
            assert page.evaluate("() => document.activeElement.id") == "consent-1"
        person = {"Je naam": "Sanne de Boer", "Telefoonnummer": phone(), "Postcode": "9712 CP",
                  "E-mailadres": f"sanne.{uuid.uuid4().hex[:6]}@example.nl"}
        for _ in range(2):         # the second time: back, and the same again
            page.get_by_label("Ik zoek werk").check()
            for field, value in person.items():
                page.get_by_label(field).fill(value)
            page.get_by_label("Ik geef toestemming").check()
            check(page, f"aanvraag: ingevuld ({label})", screenshots, javascript)
            page.get_by_role("button", name="Ga verder").click()
            assert "Sanne de Boer" in page.locator("main").inner_text()
            check(page, f"aanvraag: controleren ({label})", screenshots, javascript)
            page.get_by_role("button", name="Verstuur aanvraag").click()
            text = page.locator("main").inner_text()
            if _ == 0:
                assert "Je aanvraag is verstuurd" in text and "Leerwerkloket Noord" in text and "uiterlijk" in text
                assert re.search(r"kenmerk is SA-[0-9A-F]{4}-[0-9A-F]{4}", text)
                check(page, f"bevestiging ({label})", screenshots, javascript)
                if javascript:
                    keyboard_walk(page, "bevestiging")
                first = page.url
                page.goto(page.url.split("/aanvraag/")[0] + f"/opleidingen/{world['course']['id']}/aanvragen")
            else:          # the request of before, not a second one
                assert "Je hebt dit al aangevraagd" in text and page.url.split("?")[0] == first.split("?")[0]
                check(page, f"al aangevraagd ({label})", screenshots, javascript)
        context.close()


@pytest.mark.parametrize("screen", [NARROW, PHONE, DESKTOP], ids=["smal", "telefoon", "desktop"])
def test_every_page_state_in_dutch_and_english(browser, platform, world, screenshots, screen):
    context = browser.new_context(bypass_csp=True, viewport=screen)
    width = f"{screen['width']} px"
    page = context.new_page()
    course = world["course"]
    for lang in ("nl", "en"):
        suffix = "" if lang == "nl" else "?lang=en"
        page.goto(f"{platform.url}/{suffix}")
        for path, name in (("/zoeken", "zoeken leeg"), (f"/zoeken?q=zq{uuid.uuid4().hex[:5]}", "zoeken niets"),
                           ("/zoeken?q=heftruck&province=Zeeland", "zoeken elders"),
                           ("/zoeken?q=heftruck&max_price=veel", "zoeken fout"),
                           (f"/opleidingen/{course['id']}", "opleiding"), ("/aanvragen", "aanvraag zonder opleiding"),
                           ("/toegankelijkheid", "toegankelijkheid"), ("/aanbieders", "aanbieders inloggen"),
                           ("/adviseurs", "adviseurs inloggen"), ("/analyse", "analyse inloggen"),
                           ("/opleidingen/00000000-0000-4000-8000-000000000000", "niet gevonden"),
                           ("/zoekopdrachten/bevestigen?token=x", "zoekopdracht bevestigen")):
            page.goto(platform.url + path)
            assert page.locator("html").get_attribute("lang") == lang
            check(page, f"{name} ({lang}, {width})", screenshots)
            keyboard_walk(page, f"{name} ({lang}, {width})")

        # a provider signs in, uploads a file with a bad line, sees it
        page.goto(platform.url + "/aanbieders")
        page.get_by_label(re.compile("^(Je sleutel|Your key)")).fill(world["provider_key"])
        page.get_by_role("button", name=re.compile("Inloggen|Sign in")).click()
        check(page, f"aanbieders ({lang}, {width})", screenshots)
        keyboard_walk(page, f"aanbieders ({lang}, {width})")
        page.get_by_label(re.compile("Formaat|Format")).select_option("ndjson")
        page.set_input_files("#file", files=[{"name": "cursussen.ndjson", "mimeType": "application/x-ndjson", "buffer": (
            b'{"external_id": "U-1", "title": "Reachtruck", "level": "mbo-2"}\n{"external_id": "U-2", "title": ""}\n')}])
        page.get_by_role("button", name=re.compile("^(Inlezen|Import)$")).click()
        page.wait_for_selector("text=/Afgekeurde regels|Rejected lines/", timeout=20000)
        check(page, f"import ({lang}, {width})", screenshots)
        # a course on the pages: the form, and withdrawing asks first (answered with no)
        page.goto(f"{platform.url}/aanbieders/opleidingen/{world['course']['id']}")
        check(page, f"opleiding wijzigen ({lang}, {width})", screenshots)
        page.get_by_role("link", name=re.compile("^(Deze opleiding terugtrekken|Withdraw this course)")).click()
        check(page, f"terugtrekken: zeker? ({lang}, {width})", screenshots)
        page.get_by_role("link", name=re.compile("^(Nee|No)")).click()

        # an advisor signs in and records an outcome
        intake = requests.post(f"{platform.url}/api/v1/intakes", timeout=30, json={
            "situation": "werkzoekend", "name": "Piet", "phone": phone(), "postcode": "9712 CP",
            "preferred_contact": "phone", "consent": True}).json()
        page.goto(platform.url + "/adviseurs")
        page.get_by_label(re.compile("adviseurstoken|advisor token")).fill(world["advisor_token"])
        page.get_by_role("button", name=re.compile("Inloggen|Sign in")).click()
        check(page, f"adviseurs ({lang}, {width})", screenshots)
        page.goto(f"{platform.url}/adviseurs/intakes/{intake['id']}")
        check(page, f"adviseur: aanvraag ({lang}, {width})", screenshots)
        keyboard_walk(page, f"adviseur: aanvraag ({lang}, {width})")
        page.get_by_label(re.compile("Gebeld, niet bereikt|Called, no answer")).check()
        page.get_by_role("button", name=re.compile("Vastleggen|Record")).click()
        assert page.locator("[role=status]").inner_text().strip() in ("Vastgelegd.", "Recorded.")
        check(page, f"adviseur: vastgelegd ({lang}, {width})", screenshots)

        # the person's own page, their data in words, erasing asks first
        page.goto(f"{platform.url}/aanvraag/{intake['id']}?token={intake['token']}")
        check(page, f"eigen aanvraag ({lang}, {width})", screenshots)
        page.get_by_role("link", name=re.compile("^(Bekijk alles|See everything)")).click()
        check(page, f"eigen gegevens ({lang}, {width})", screenshots)
        page.goto(f"{platform.url}/aanvraag/{intake['id']}?token={intake['token']}")
        page.get_by_role("link", name=re.compile("^(Wis mijn gegevens|Erase my data)")).click()
        check(page, f"wissen: zeker? ({lang}, {width})", screenshots)
        page.get_by_role("button", name=re.compile("^(Ja, wis|Yes, erase)")).click()
        check(page, f"gewist ({lang}, {width})", screenshots)
        page.goto(f"{platform.url}/aanvraag/{intake['id']}?token={intake['token']}")
        assert page.locator("h1").inner_text() in ("Deze pagina bestaat niet (meer)", "This page does not exist (any more)")

        # a mistyped address: the 404 page with the way on
        page.goto(platform.url + "/Zoeken/")
        check(page, f"404 ({lang}, {width})", screenshots)
        assert page.locator("main input[type=search]").count() == 1

        # the provider's lead: the consented contact details
        lead = requests.post(f"{platform.url}/api/v1/intakes", timeout=30, json={
            "situation": "werkzoekend", "name": "Lotte Lead", "phone": phone(), "email": f"lotte.{uuid.uuid4().hex[:6]}@example.nl",
            "preferred_contact": "phone", "consent": True, "course_id": world["course"]["id"],
            "share_with_provider": True}).json()
        page.goto(f"{platform.url}/aanbieders/leads/{lead['id']}")
        assert "Lotte Lead" in page.locator("main").inner_text() and page.locator("a[href^='tel:']").count() == 1
        check(page, f"lead ({lang}, {width})", screenshots)

        # the analysts' dashboard; its CSV links work in the session that shows them
        page.goto(platform.url + "/analyse")
        page.get_by_label(re.compile("ana_")).fill(world["analyst_token"])
        page.get_by_role("button", name=re.compile("Inloggen|Sign in")).click()
        check(page, f"analyse ({lang}, {width})", screenshots)
        with page.expect_download() as download:
            page.get_by_role("link", name=re.compile("CSV")).first.click()
        assert download.value.suggested_filename.endswith(".csv")
        with open(download.value.path(), encoding="utf-8-sig") as csv_file:
            assert "," in csv_file.readline() or ";" in csv_file.readline()
        context.clear_cookies()
        page.goto(f"{platform.url}/?lang={'en' if lang == 'nl' else 'nl'}")
    context.close()
    print(f"\naxe-core checked {len(CHECKED)} page states without a violation")
    assert len(CHECKED) >= 40 * (1 + [NARROW, PHONE, DESKTOP].index(screen))

