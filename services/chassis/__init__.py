"""What every service needs the same way: settings, PostgreSQL, outbox, reliable event
handlers, health. psycopg must use a wait function that yields to eventlet; it reads this
variable once, when it is first imported, so it is set here before anything imports it."""
import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")
