"""No log line holds a token or a person's details (finding 12 of the outside security test: the
logging SMS adapter wrote the whole text, the person's link token in it, to notify's log). The
whole journey runs, a person who gave only a phone number among them, and then every log file of
the platform is searched for each credential and each of the person's details."""
from __future__ import annotations

import logging
import uuid

import phonenumbers

from services.chassis.logmask import MaskPersonalData, masked
from tests.e2e.test_intake import person, published_course
from tests.infra import eventually


def test_the_mask_hides_credentials_and_contact_details():
    line = ("SMS to +31612345678: https://x.nl/aanvraag/1?token=int_Ab3dEf6hIj9kLm2nOp5qRs8t "
            "key sa_Zx1Cv2Bn3Mq4Wr5Ty6Ui7Op8 Bearer adv_abcdefghijklmnop1234 mail jan.jansen+x@voorbeeld.nl "
            "bel 06-12345678 secret whsec_QUJDREVGR0hJSktMTU5PUFFSU1Q=")
    clean = masked(line)
    for secret in ("+31612345678", "int_Ab3d", "sa_Zx1", "adv_abcd", "jan.jansen", "06-12345678", "whsec_QUJD"):
        assert secret not in clean, secret
    assert masked("12 courses imported in 0.8 s (2026-12-06)") == "12 courses imported in 0.8 s (2026-12-06)"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s for %s", ("sub_" + "a" * 40, "p@x.nl"), None)
    MaskPersonalData().filter(record)
    assert "aaaa" not in record.getMessage() and "p@x.nl" not in record.getMessage()


def test_no_log_holds_a_token_or_the_persons_details(platform, admin, anonymous, provider, teams, attack):
    course = published_course(provider, platform)
    tag = uuid.uuid4().hex[:8]
    phone_only = person(email=None, preferred_contact="phone", course_id=course["id"])
    answer = anonymous.post("/api/v1/intakes", json=phone_only)
    assert answer.status_code == 201, answer.text
    intake_id, token = answer.json()["id"], answer.json()["token"]
    mailed = person()
    assert anonymous.post("/api/v1/intakes", json=mailed).status_code == 201
    advisor = admin.post("/api/v1/advisors", json={"name": f"Adviseur {tag}", "email": f"a{tag}@loket.example.nl",
                                                    "team": "noord"}).json()
    analyst = admin.post("/api/v1/analysts", json={"name": f"Analist {tag}", "email": f"n{tag}@example.nl"}).json()
    hook = provider.put("/api/v1/providers/me/webhook", json={"url": "http://127.0.0.1:9/hook"}).json()
    anonymous.get(f"/api/v1/intakes/{intake_id}/status", params={"token": token})
    anonymous.post("/api/v1/saved-searches", json={"email": f"s{tag}@example.nl", "query": {"q": "heftruck"},
                                                    "frequency": "daily"})

    def sms_sent():
        return any(f"/aanvraag/{intake_id}" in path.read_text(errors="replace")
                   for path in platform.log_dir.glob(f"{platform.prefix}-notify*.log"))
    eventually(sms_sent, timeout=30, message="the confirmation SMS in notify's log")
    national = phonenumbers.format_number(phonenumbers.parse(phone_only["phone"], "NL"),
                                          phonenumbers.PhoneNumberFormat.E164)
    needles = {"the person's token": token, "the phone number": national, "the phone as typed": phone_only["phone"],
               "the name": phone_only["name"], "the other person's e-mail": mailed["email"],
               "the other person's name": mailed["name"], "the provider's key": provider.token,
               "the advisor's token": advisor["token"], "the analyst's token": analyst["token"],
               "the webhook secret": hook["secret"], "the subscriber's address": f"s{tag}@example.nl"}
    logs = {path.name: path.read_text(errors="replace") for path in platform.log_dir.glob(f"{platform.prefix}-*.log")}
    assert logs
    found = [(what, name) for what, needle in needles.items() for name, text in logs.items() if needle in text]
    assert not found, f"found in the logs: {found}"
    attack(name="12. tokens in logs", tried="a journey with an SMS; every log searched for 11 credentials and details",
           held="none found: one filter masks them in every line")
