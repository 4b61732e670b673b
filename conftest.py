"""Root of the test suite: eventlet must patch the standard library before anything else is
imported (nameko's tests hang otherwise), and psycopg must pick its eventlet-friendly wait."""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import eventlet  # noqa: E402

eventlet.monkey_patch()
