"""Backups of every service's database, a restore into an empty platform, and the erasures made
since a backup applied again (``make backup``, ``make restore BACKUP=dir``, ``make replay-erasures
BACKUP=dir``; docs/operations.md).

    python -m deploy.local.backup backup  [--to DIR]          [--database NAME=URL ...]
    python -m deploy.local.backup restore --from DIR          [--database NAME=URL ...]
    python -m deploy.local.backup replay-erasures --from DIR --log FILE    (AMQP_URI: the platform)

Each database is dumped with ``pg_dump`` (custom format): one consistent snapshot per database,
which is what each service needs (a service reads only its own). The services' read models
follow from events, so after a restore search and analytics may lag the catalogue and intake by
what happened during the dump; ``make reconcile`` shows any difference and ``make reindex``
repairs search. A restore drops and recreates each database: run it with the services stopped.

Erasure: a person erased after the backup is back in a restored intake database. Intake writes
every erasure a person asks for to its erasure log (INTAKE_ERASURE_LOG: an intake id and a time,
no personal data, kept on storage apart from the backups) before it commits the erasure;
``replay-erasures`` erases again every intake the log names since the backup was taken.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse, urlunparse

DATABASES = ("catalogue", "search", "intake", "notify", "analytics")
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def database_urls(pairs: list[str]) -> dict[str, str]:
    """NAME=URL pairs, else every service's database next to PG_ADMIN_URL (``make run``'s)."""
    if pairs:
        return dict(pair.split("=", 1) for pair in pairs)
    admin = urlparse(os.environ["PG_ADMIN_URL"])
    return {name: urlunparse(admin._replace(path=f"/{name}")) for name in DATABASES}


def backup(target: Path, urls: dict[str, str]) -> dict:
    target.mkdir(parents=True, exist_ok=True)
    at = datetime.now(timezone.utc)
    for name, url in urls.items():
        print(f"==> dumping {name}", flush=True)
        subprocess.run([str(PG_BIN / "pg_dump"), "--format=custom", "--no-owner", f"--file={target / name}.dump",
                        url], check=True)
    manifest = {"taken_at": at.isoformat(), "databases": sorted(urls)}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"==> backup of {len(urls)} databases in {target} (taken at {manifest['taken_at']})")
    return manifest


def restore(source: Path, urls: dict[str, str]) -> None:
    manifest = json.loads((source / "manifest.json").read_text())
    for name in manifest["databases"]:
        url = urls[name]
        print(f"==> restoring {name}", flush=True)
        _recreate(url)
        subprocess.run([str(PG_BIN / "pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={url}",
                        str(source / f"{name}.dump")], check=True)
    print(f"==> restored the backup taken at {manifest['taken_at']}; now start the services and run "
          f"replay-erasures (the erasures made since then)")


def _recreate(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def erasures_since(log: Path, since: datetime) -> list[str]:
    """The intake ids the erasure log names at or after ``since``."""
    if not log.exists():
        return []
    ids = []
    for line in log.read_text().splitlines():
        intake_id, _, at = line.partition(" ")
        if at and datetime.fromisoformat(at) >= since:
            ids.append(intake_id)
    return list(dict.fromkeys(ids))


def replay_erasures(source: Path, log: Path) -> dict:
    from nameko.standalone.rpc import ClusterRpcProxy

    since = datetime.fromisoformat(json.loads((source / "manifest.json").read_text())["taken_at"])
    ids = erasures_since(log, since)
    with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=60) as rpc:
        done = rpc.intake.replay_erasures(ids) if ids else {"erased": 0, "already": 0, "unknown": 0}
    print(f"==> {len(ids)} erasures since {since.isoformat()} applied again: {done}")
    return done


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["backup", "restore", "replay-erasures"])
    parser.add_argument("--to", type=Path, help="backup: the folder to write (default: a new one under the run folder)")
    parser.add_argument("--from", dest="source", type=Path, help="restore, replay-erasures: the backup folder")
    parser.add_argument("--database", action="append", default=[], metavar="NAME=URL")
    parser.add_argument("--log", type=Path, help="replay-erasures: intake's erasure log (INTAKE_ERASURE_LOG)")
    args = parser.parse_args(argv)
    if args.action == "backup":
        run_dir = Path(os.environ.get("RUN_DIR", ".run/run"))
        backup(args.to or run_dir / "backups" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
               database_urls(args.database))
    elif not args.source or not (args.source / "manifest.json").exists():
        parser.error("--from must name a backup folder (one with manifest.json)")
    elif args.action == "restore":
        restore(args.source, database_urls(args.database))
    else:
        if args.log is None:
            parser.error("--log names intake's erasure log (INTAKE_ERASURE_LOG)")
        replay_erasures(args.source, args.log)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
