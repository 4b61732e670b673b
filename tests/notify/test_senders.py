"""The mail sender against real aiosmtpd servers: STARTTLS and login when the URL says so (a
server that demands both, with a certificate made for the test), a refused login, a server that
is not there; and the sender's answers as outcomes, never exceptions."""
from __future__ import annotations

import subprocess
import sys
from email.message import EmailMessage

import pytest

from services.notify.domain import DELIVERED, TECHNICAL
from services.notify.senders import Mail, email_message
from tests.infra import ROOT, free_port

USER, PASSWORD = "notify", "s3cret pass"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(certificate, tmp_path):
    cert, key = certificate
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.tls_mail_server", "--port", str(port), "--dir", str(tmp_path),
                               "--cert", str(cert), "--key", str(key), "--password", PASSWORD],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        yield port, tmp_path, cert
    finally:
        server.terminate()
        server.wait(timeout=10)


def a_message() -> EmailMessage:
    return email_message(sender="Scholingsalliantie <noreply@example.nl>", to=["p@example.nl"], subject="Test",
                         text="Hallo", html="<p>Hallo</p>", message_id="<k1@example.nl>")


def test_starttls_and_login_when_the_url_says_so(tls_server):
    port, folder, cert = tls_server
    mail = Mail(f"smtp+starttls://{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}?cafile={cert}",
                "noreply@example.nl")
    try:
        assert mail.send(a_message()).status == DELIVERED
        assert mail.send(a_message()).status == DELIVERED        # the kept connection
    finally:
        mail.close()
    kept = sorted(folder.glob("*.eml"))
    assert len(kept) == 2 and b"Message-ID: <k1@example.nl>" in kept[0].read_bytes()


def test_a_wrong_password_or_no_tls_is_an_outcome_not_a_crash(tls_server):
    port, folder, cert = tls_server
    wrong = Mail(f"smtp+starttls://{USER}:nope@127.0.0.1:{port}?cafile={cert}", "noreply@example.nl", timeout=3)
    plain = Mail(f"smtp://127.0.0.1:{port}", "noreply@example.nl")     # the server demands STARTTLS
    outcomes = [wrong.send(a_message()), plain.send(a_message())]
    # our settings, not the recipient: tried again later, never a permanent failure of the message
    assert [o.status for o in outcomes] == [TECHNICAL, TECHNICAL]
    assert "530" in outcomes[1].reason and "SMTP_URL" in outcomes[1].reason
    assert list(folder.glob("*.eml")) == []


def test_no_server_is_a_technical_failure():
    outcome = Mail(f"smtp://127.0.0.1:{free_port()}", "noreply@example.nl", timeout=2).send(a_message())
    assert outcome.status == TECHNICAL and "SMTP" in outcome.reason


def test_an_unknown_scheme_is_refused_at_start():
    with pytest.raises(ValueError, match="SMTP_URL"):
        Mail("http://127.0.0.1:25", "noreply@example.nl")
