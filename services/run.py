"""Start one service: ``python -m services.run catalogue``. Reads and checks configuration
from the environment first (a missing or malformed variable stops it, naming the variable),
then runs the nameko container until SIGTERM/SIGINT."""
from __future__ import annotations

import os
import sys

import warnings

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")
warnings.filterwarnings("ignore", message="\nEventlet is deprecated")  # known; see docs/runtime.md

import eventlet  # noqa: E402

eventlet.monkey_patch()

import importlib  # noqa: E402
import logging.config  # noqa: E402
import signal  # noqa: E402

SERVICES = ("catalogue", "search", "intake", "notify", "analytics", "gateway")


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SERVICES:
        print(f"usage: python -m services.run {{{'|'.join(SERVICES)}}}", file=sys.stderr)
        return 2
    name = argv[0]
    from services.chassis.settings import ConfigurationError, load_settings

    module = importlib.import_module(f"services.{name}.service")
    try:
        settings = load_settings(module.Settings)
    except ConfigurationError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    config = settings.nameko_config()
    logging.config.dictConfig(config["LOGGING"])

    from nameko.runners import ServiceRunner
    from services.chassis import collector
    from services.chassis.runtime import prepare

    prepare(module.SERVICE)
    runner = ServiceRunner(config)
    runner.add_service(module.SERVICE)

    def shutdown(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    collector.tune()
    runner.start()
    collector.settle()      # what starting created lives as long as the process
    logging.getLogger(name).info("%s started (pid %d)", name, os.getpid())
    try:
        runner.wait()
    except Exception:
        logging.getLogger(name).exception("%s stopped with an error", name)
        runner.kill()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
