"""Staff sign in as themselves in a real browser, with the real OpenID provider the test set-up
starts: the sign-in page offers the organisation's account, the provider's form signs the
person in, the work page says who they are, a beheerder invites and removes a colleague (a bad
address told beside the field), signs out; someone not invited is told what to do. Every page
of ours on the way is checked with axe-core and walked with the keyboard, on a phone's screen."""
from __future__ import annotations

import re
import uuid

import requests

from tests.browser.test_pages_in_a_browser import PHONE, check, keyboard_walk
from tests.infra import ADMIN_TOKEN


def at_the_provider(page, login: str) -> None:
    """The OpenID provider's own sign-in form (not our page: no accessibility check of it)."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "wachtwoord")
    page.click("button[type=submit]")


def test_a_beheerder_signs_in_as_themselves_manages_members_and_signs_out(browser, platform, world, screenshots):
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    boss = f"anna.de.vries.{uuid.uuid4().hex[:6]}@roc.example.nl"
    invited = requests.post(f"{platform.url}/api/v1/providers/{world['provider_id']}/members", headers=admin, timeout=30,
                            json={"email": boss, "role": "beheerder"})
    assert invited.status_code == 201, invited.text

    context = browser.new_context(bypass_csp=True, viewport=PHONE)
    page = context.new_page()
    for lang in ("nl", "en"):
        page.goto(f"{platform.url}/aanbieders{'?lang=en' if lang == 'en' else ''}")
        check(page, f"inloggen met organisatie ({lang})", screenshots)
        keyboard_walk(page, f"inloggen met organisatie ({lang})")
        page.get_by_role("link", name=re.compile("^(Inloggen met|Sign in with)")).click()
        if lang == "nl":        # the second time the provider remembers the person
            at_the_provider(page, boss)
        page.wait_for_url(f"{platform.url}/aanbieders*")
        main = page.locator("main").inner_text()
        assert ("Ingelogd als" if lang == "nl" else "Signed in as") in main and "Anna De Vries" in main
        check(page, f"aanbieders als persoon ({lang})", screenshots)

        page.get_by_role("link", name=re.compile("^(Leden van je organisatie|Your organisation's members)")).click()
        assert boss in page.locator("main").inner_text()
        check(page, f"leden ({lang})", screenshots)
        keyboard_walk(page, f"leden ({lang})")
        page.get_by_label(re.compile("^(E-mailadres|Email address)")).fill("geen adres")
        page.get_by_role("button", name=re.compile("^(Uitnodigen|Invite)$")).click()
        assert page.locator("#email-error").is_visible()
        check(page, f"leden: fout adres ({lang})", screenshots)
        colleague = f"bert.{uuid.uuid4().hex[:6]}@roc.example.nl"
        page.get_by_label(re.compile("^(E-mailadres|Email address)")).fill(colleague)
        page.get_by_role("button", name=re.compile("^(Uitnodigen|Invite)$")).click()
        assert page.locator("[role=status]").inner_text().startswith(("Uitgenodigd", "Invited"))
        check(page, f"leden: uitgenodigd ({lang})", screenshots)
        page.locator(".members li", has_text=colleague).get_by_role("button", name=re.compile("Verwijderen|Remove")).click()
        assert page.locator("[role=status]").inner_text().startswith(("Verwijderd", "Removed"))
        assert colleague not in page.locator(".members").inner_text()
        check(page, f"leden: verwijderd ({lang})", screenshots)

        page.get_by_role("button", name=re.compile("^(Uitloggen|Sign out)$")).click()
        page.goto(f"{platform.url}/aanbieders")
        assert page.get_by_role("link", name=re.compile("^(Inloggen met|Sign in with)")).count() == 1
    context.close()

    stranger = browser.new_context(bypass_csp=True, viewport=PHONE)
    page = stranger.new_page()
    page.goto(f"{platform.url}/adviseurs")
    page.get_by_role("link", name=re.compile("^Inloggen met")).click()
    at_the_provider(page, f"onbekend.{uuid.uuid4().hex[:6]}@loket.example.nl")
    page.wait_for_selector("#organisatie-error")
    assert "geen lid" in page.locator("#organisatie-error").inner_text()
    check(page, "inloggen: geen lid (nl)", screenshots)
    stranger.close()
