"""The browser tests' own set-up: this pytest process imports no eventlet (Playwright's sync API
hangs under it), starts a platform of its own on the test profile's RabbitMQ and PostgreSQL
(from the environment deploy/local/env.sh exports) and Debian's chromium. Run by `make test`
after the main suite: pytest tests/browser --confcutdir=tests/browser."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.infra import ROOT, Platform, Postgres, Rabbit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def platform():
    rabbit = Rabbit(os.environ["AMQP_URI"], os.environ["RABBIT_API_URI"])
    postgres = Postgres(os.environ["PG_ADMIN_URL"])
    log_dir = ROOT / ".run" / "test" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Platform(rabbit, postgres, log_dir)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = ROOT / ".run" / "test" / "screenshots" / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder
