"""A local mail catcher for ``make run``: an SMTP server (aiosmtpd) that writes every message it
is given as one ``.eml`` file in a folder instead of sending it on. Open the files with any mail
program, or read them as text. ``python -m services.notify.mailcatcher --port 1025 --dir DIR``."""
from __future__ import annotations

import argparse
import itertools
import signal
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class WriteEml:
    """aiosmtpd handler: each accepted message becomes ``<time>-<n>.eml`` in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self.counter):05d}.eml"
        partial = self.folder / (name + ".part")
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.rename(self.folder / name)      # a reader never sees half a message
        return "250 Message accepted for delivery"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, required=True, help="folder the .eml files are written to")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    serve(Controller(WriteEml(args.dir), hostname=args.host, port=args.port),
          f"mail catcher on {args.host}:{args.port}, writing every message to {args.dir}/")
    return 0


def serve(controller: Controller, started: str) -> None:
    """Run ``controller`` until SIGTERM or SIGINT; say ``started`` once it listens."""
    controller.start()
    print(started, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
