"""Test helpers around the real RabbitMQ and PostgreSQL that `make test` starts: throw-away
vhosts and databases, service processes started and stopped by their own PID."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
DATABASES = ("catalogue", "search", "intake", "notify", "analytics")
SERVICES = DATABASES + ("gateway",)
ADMIN_TOKEN = "test-admin-token-0123456789"


class Rabbit:
    def __init__(self, amqp_uri: str, api_uri: str):
        self.amqp_uri, self.api_uri = amqp_uri, api_uri
        parsed = urlparse(api_uri)
        self.api = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}/api"
        self.auth = (parsed.username or "guest", parsed.password or "guest")

    def create_vhost(self) -> str:
        name = f"sa_test_{uuid.uuid4().hex[:10]}"
        requests.put(f"{self.api}/vhosts/{name}", auth=self.auth, timeout=10).raise_for_status()
        requests.put(f"{self.api}/permissions/{name}/{self.auth[0]}", auth=self.auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return name

    def delete_vhost(self, name: str) -> None:
        requests.delete(f"{self.api}/vhosts/{name}", auth=self.auth, timeout=10)

    def delete_stale_vhosts(self) -> list[str]:
        """Vhosts a killed earlier run left behind (this broker serves only this checkout's tests)."""
        names = [v["name"] for v in requests.get(f"{self.api}/vhosts", auth=self.auth, timeout=10).json()]
        stale = [n for n in names if n.startswith(("sa_test_", "nameko_test_"))]
        for name in stale:
            self.delete_vhost(name)
        return stale

    def uri_for(self, vhost: str) -> str:
        parsed = urlparse(self.amqp_uri)
        return urlunparse(parsed._replace(path="/" + quote(vhost, safe="")))

    def queue(self, vhost: str, name: str) -> dict | None:
        answer = requests.get(f"{self.api}/queues/{vhost}/{quote(name, safe='')}", auth=self.auth, timeout=10)
        return answer.json() if answer.status_code == 200 else None

    def queues(self, vhost: str) -> list[dict]:
        return requests.get(f"{self.api}/queues/{vhost}", auth=self.auth, timeout=10).json()

    def consumers(self, vhost: str) -> list[dict]:
        return requests.get(f"{self.api}/consumers/{quote(vhost, safe='')}", auth=self.auth, timeout=10).json()

    def close_connections(self, vhost: str) -> int:
        """Close every client connection to ``vhost`` (as a broker restart would); how many."""
        listed = requests.get(f"{self.api}/vhosts/{quote(vhost, safe='')}/connections", auth=self.auth, timeout=10).json()
        return self._close([c["name"] for c in listed])

    def close_connection(self, client_port: int) -> bool:
        """Close the connection a client opened from ``client_port``, as the broker would on a
        restart (False while the management plugin does not list it yet)."""
        listed = requests.get(f"{self.api}/connections", auth=self.auth, timeout=10).json()
        return bool(self._close([c["name"] for c in listed if c.get("peer_port") == client_port]))

    def _close(self, names: list[str]) -> int:
        for name in names:
            requests.delete(f"{self.api}/connections/{quote(name, safe='')}", auth=self.auth,
                            timeout=10).raise_for_status()
        return len(names)

    def ctl(self, *args: str) -> str:
        """rabbitmqctl against the test node (stop_app / start_app for broker outages); its output."""
        env = {**os.environ, "HOME": os.environ["SA_TEST_RABBIT_HOME"]}
        return subprocess.run([os.environ["SA_TEST_RABBIT_CTL"], "-q", *args], env=env, check=True,
                              capture_output=True, timeout=120, text=True).stdout

    def message_counts(self, vhost: str, queue: str) -> tuple[int, int]:
        """(ready, unacknowledged) of a queue as the broker has them now (the management
        plugin's figures lag by seconds)."""
        for line in self.ctl("list_queues", "-p", vhost, "--no-table-headers", "name", "messages_ready",
                             "messages_unacknowledged").splitlines():
            name, ready, unacked = line.split("\t")
            if name == queue:
                return int(ready), int(unacked)
        raise LookupError(f"no queue {queue} in {vhost}")


class Postgres:
    def __init__(self, admin_url: str):
        self.admin_url = admin_url

    def create(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return urlunparse(urlparse(self.admin_url)._replace(path="/" + name))

    def drop_stale(self) -> list[str]:
        """Databases a killed earlier run left behind (t<hex>_<name>, made only by these tests)."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            names = [r[0] for r in conn.execute(r"SELECT datname FROM pg_database WHERE datname ~ '^t[0-9a-f]{8,10}_'")]
        for name in names:
            self.drop(name)
        return names

    def restart(self, down_seconds: float = 0) -> None:
        """Stop the test cluster (fast: every connection is cut), wait ``down_seconds``, start it
        again with the options it ran with: a database outage, as the services see one."""
        ctl, data = os.environ["SA_TEST_PG_CTL"], os.environ["SA_TEST_PG_DATA"]
        options = (Path(data) / "postmaster.opts").read_text().split(None, 1)[1].strip()
        run = ["runuser", "-u", "postgres", "--", ctl, "-D", data, "-w"]
        subprocess.run([*run, "-m", "fast", "stop"], check=True, capture_output=True, timeout=60)
        time.sleep(down_seconds)
        log = str(Path(data).parent / "postgres.log")
        subprocess.run([*run, "-l", log, "-o", _postgres_options(options), "start"], check=True,
                       capture_output=True, timeout=60)

    def drop(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OpenIdServer:
    """A real OpenID provider (``deploy/local/oidc/provider.mjs``: npm's OpenID-certified
    oidc-provider) that vouches for any e-mail address typed as the login; started and stopped by
    its own PID. ``settings`` are what a gateway that signs staff in with it is given."""

    redirect_uris: list
    log_path: Path
    port: int = field(default_factory=free_port)
    client_id: str = "scholingsalliantie-test"
    client_secret: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex)
    proc: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> dict:
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": self.client_id, "OIDC_CLIENT_SECRET": self.client_secret}

    def start(self) -> "OpenIdServer":
        module = ROOT / ".run" / "node" / "node_modules" / "oidc-provider" / "lib" / "index.js"
        assert module.exists(), "oidc-provider is missing: `make setup` installs it into .run/node"
        env = {**os.environ, "OIDC_PORT": str(self.port), "OIDC_CLIENT_ID": self.client_id,
               "OIDC_CLIENT_SECRET": self.client_secret, "OIDC_REDIRECT_URIS": ",".join(self.redirect_uris),
               "OIDC_MODULE": str(module)}
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["node", str(ROOT / "deploy" / "local" / "oidc" / "provider.mjs")], env=env,
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited with {self.proc.returncode}: see {self.log_path}")
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not answer within 30 s: see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@dataclass
class Platform:
    """Every service as its own process, on a throw-away vhost and databases."""

    rabbit: Rabbit
    postgres: Postgres
    log_dir: Path
    vhost: str = ""
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    procs: dict = field(default_factory=dict)
    db_urls: dict = field(default_factory=dict)
    extra_env: dict = field(default_factory=dict)
    processes: dict = field(default_factory=dict)   # more than one process of a service: {"search": 2}
    # processes of every service (SA_TEST_SCALE, `make test-scale`); above 1 the gateways sit
    # behind HAProxy on ``port``, as `make run SCALE=n` runs them
    scale: int = field(default_factory=lambda: int(os.environ.get("SA_TEST_SCALE", "1")))
    own_env: dict = field(default_factory=dict)
    before_services: object = None      # called with the platform once its databases exist (a restore)
    openid: object = None               # the OpenID provider its gateway signs staff in with (an OpenIdServer)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_port(self) -> int:
        """The first gateway's own port: ``port`` itself, or behind HAProxy at SA_TEST_SCALE (for a
        test of what the gateway does with a connection, not what a proxy in front makes of it)."""
        return int(self.own_env.get("gateway", {}).get("GATEWAY_PORT", self.port))

    @property
    def amqp_uri(self) -> str:
        return self.rabbit.uri_for(self.vhost)

    def env(self, service: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AMQP_URI")}
        env.update(AMQP_URI=self.amqp_uri, PSYCOPG_WAIT_FUNC="wait_selector", PYTHONPATH=str(ROOT),
                   ADMIN_TOKEN=ADMIN_TOKEN, GATEWAY_PORT=str(self.port), APP_ENV="test",
                   OUTBOX_POLL_SECONDS="0.5", EVENT_RETRY_DELAYS="[0.2, 0.5, 1]",
                   # tests and benchmarks send many requests from one address
                   RATE_LIMIT_PER_MINUTE="0", PAGE_RATE_LIMIT_PER_MINUTE="0", INTAKE_LIMIT_PER_ADDRESS="1000000",
                   NOTIFY_SUBSCRIPTIONS_PER_ADDRESS="1000", NOTIFY_SUBSCRIPTIONS_PER_CLIENT="1000000",
                   # every test searches from one address: a query one of them searched is listed
                   ANALYTICS_MIN_SEARCHERS="1",
                   # notify: retries within a test's patience; links to this platform's gateway
                   NOTIFY_MAIL_RETRY_SECONDS="[0.3, 0.6, 1]", NOTIFY_WEBHOOK_RETRY_SECONDS="[0.3, 0.6, 1]",
                   NOTIFY_ALERT_SECONDS="1", NOTIFY_SEND_TIMEOUT="5", NOTIFY_LEASE_SECONDS="20",
                   # catalogue: OOAPI syncs against the tests' own servers, quick and patient enough
                   OOAPI_REQUESTS_PER_SECOND="50", OOAPI_TIMEOUT_SECONDS="2", OOAPI_RETRIES="2",
                   OOAPI_RETRY_SECONDS="0.1", OOAPI_LEASE_SECONDS="10", OOAPI_PAGE_SIZE="10",
                   # gateway: a client silent mid-request is cut off sooner than in production
                   SOCKET_TIMEOUT_SECONDS="5", REQUEST_DEADLINE_SECONDS="10",
                   # webhooks and OOAPI endpoints: the tests' own receivers and servers listen on 127.0.0.1
                   OUTBOUND_ALLOW_LOOPBACK="true",
                   PUBLIC_BASE_URL=self.url)
        if service in self.db_urls:
            env["DATABASE_URL"] = self.db_urls[service]
        env.update(self.extra_env)
        return env

    def start(self) -> "Platform":
        self.vhost = self.rabbit.create_vhost()
        for name in DATABASES:
            self.db_urls[name] = self.postgres.create(f"{self.prefix}_{name}")
        if self.before_services is not None:
            self.before_services(self)
        gateways = []
        for name in SERVICES:
            for n in range(1, max(self.processes.get(name, 1), self.scale) + 1):
                own = {}
                if name == "gateway" and self.scale > 1:
                    gateways.append(free_port())
                    own = {"GATEWAY_PORT": str(gateways[-1]), "TRUSTED_PROXIES": "127.0.0.1/32"}
                self.start_service(name if n == 1 else f"{name}-{n}", **own)
        if gateways:
            self.start_balancer(gateways)
        self.wait_healthy()
        return self

    def start_balancer(self, gateways: list[int]) -> None:
        from deploy.local.balancer import config

        path = self.log_dir / f"{self.prefix}-haproxy.cfg"
        path.write_text(config(self.port, gateways, request_seconds=float(self.env("gateway")["REQUEST_DEADLINE_SECONDS"])))
        log = open(self.log_dir / f"{self.prefix}-haproxy.log", "ab")
        # in the foreground (-db), so it is stopped by its own PID like the services
        self.procs["haproxy"] = subprocess.Popen(["/usr/sbin/haproxy", "-db", "-f", str(path)], stdout=log,
                                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def start_service(self, name: str, **env: str) -> None:
        """``name`` is a service, or for a second process of one ``search-2`` (and so on);
        ``env`` what this process is told apart from the others (a second gateway's port)."""
        if name in self.procs:          # one process per name: the one running is stopped first
            self.stop_service(name)
        service = name.partition("-")[0]
        env = self.own_env[name] = {**self.own_env.get(name, {}), **env}   # started again, it keeps its own
        log = open(self.log_dir / f"{self.prefix}-{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "services.run", service], env={**self.env(service), **env}, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def restart(self, service: str) -> None:
        """Every process of ``service`` (two or more at SA_TEST_SCALE) stopped and started again
        with the environment as it is now, then the platform healthy."""
        for name in [n for n in self.procs if n.partition("-")[0] == service]:
            self.stop_service(name)
            self.start_service(name)
        self.wait_healthy()

    def stop_service(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def wait_healthy(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            try:
                last = requests.get(f"{self.url}/health", timeout=10)
                if last.status_code == 200:
                    return last.json()
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.3)
        raise RuntimeError(f"platform not healthy after {timeout}s: {getattr(last, 'text', last)}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{self.prefix}-{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_service(name)
        for name in DATABASES:
            self.postgres.drop(f"{self.prefix}_{name}")
        if self.vhost:
            self.rabbit.delete_vhost(self.vhost)


def eventually(check, timeout: float = 10, interval: float = 0.1, message: str = "condition"):
    """Poll ``check`` until it returns something truthy; its last value otherwise fails the test."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{message} did not hold within {timeout}s (last: {value!r})")


def form_token(html: str) -> str:
    """The CSRF token a page gave its forms."""
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def _postgres_options(opts: str) -> str:
    """The server options of postmaster.opts (``"-p" "23271" "-k" ...`` after the binary) as
    pg_ctl's ``-o`` takes them, without the data directory (pg_ctl gives it)."""
    import shlex

    words = shlex.split(opts)
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word == "-D":
            skip = True
            continue
        kept.append(word)
    return " ".join(shlex.quote(w) for w in kept)
