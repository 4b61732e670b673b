"""No log line holds a credential or a person's contact details: one filter on every service's
log handler masks them in the written line, whatever logged it (our code, nameko, a library).
Credentials are recognised by their prefixes (the platform's own tokens and keys, webhook
secrets), by ``token=`` in a URL and by ``Bearer``; contact details by the shape of an e-mail
address or a phone number. A name cannot be recognised: code never logs one."""
from __future__ import annotations

import logging
import re

MASK = "***"
PATTERNS = [
    # the platform's credentials: provider keys, person, advisor, analyst and subscriber tokens
    (re.compile(r"\b(sa|int|adv|ana|sub)_[A-Za-z0-9_-]{16,}"), r"\1_" + MASK),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{16,}"), "whsec_" + MASK),
    (re.compile(r"(token=)[^&\s\"'<>]+", re.IGNORECASE), r"\1" + MASK),
    (re.compile(r"(Bearer\s+)\S+", re.IGNORECASE), r"\1" + MASK),
    (re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+"), MASK + "@" + MASK),
    # phone numbers: international (E.164, as stored) and Dutch national forms
    (re.compile(r"\+\d[\d ]{8,16}\d"), "+" + MASK),
    (re.compile(r"\b0\d{1,3}[ -]?\d{6,8}\b"), "0" + MASK),
]


def masked(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskPersonalData(logging.Filter):
    """A handler's filter: the record's message (and traceback) with credentials and contact
    details masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = masked(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = masked(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = masked(record.exc_text)
        return True
