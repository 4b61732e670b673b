"""An SMTP server that demands STARTTLS and a login (user ``notify``, the password given), for the
mail sender's tests; its own process (aiosmtpd runs an asyncio loop, which the eventlet-patched
test process cannot run beside its own mail server). Every accepted message is an .eml file."""
from __future__ import annotations

import argparse
import ssl
import sys
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from services.notify.mailcatcher import WriteEml, serve


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    for name in ("--port", "--dir", "--cert", "--key", "--password"):
        parser.add_argument(name, required=True)
    args = parser.parse_args(argv)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def check(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"notify" and auth_data.password == args.password.encode())

    serve(Controller(WriteEml(Path(args.dir)), hostname="127.0.0.1", port=int(args.port), tls_context=context,
                     require_starttls=True, auth_required=True, authenticator=check), "ready")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
