"""The catalogue's entrypoints for providers' OOAPI endpoints: register one, ask for a sync, and
the timer that runs the syncs that are due (on demand, or nightly). A sync is an import with the
full-sync semantics of a file (ooapi_sync.py walks the endpoint; the service's import stores it).

More than one catalogue process: a sync is claimed with ``FOR UPDATE SKIP LOCKED`` and held by a
lease its process renews while it works; a process that stops mid-sync lets its lease lapse, and
the next claim marks that import failed (it withdraws nothing) and syncs again."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer

from services.catalogue import domain
from services.catalogue.ooapi_sync import OoapiClient, Politeness, SyncRun
from services.chassis.errors import DomainError, NotFound, ValidationFailed, validated
from services.chassis.urls import outbound_url_problem
from services.contracts.catalogue import FULL_SYNC, NewOoapiEndpoint

log = logging.getLogger(__name__)
OOAPI_SYNC = "ooapi-sync"       # the format of a sync's import


class OoapiEndpoints:
    """Mixed into the catalogue service (which has ``store`` and the import's ``import_courses``
    and ``finish_import``)."""

    config = Config()

    @rpc(expected_exceptions=DomainError)
    def set_ooapi_endpoint(self, provider_id: str, body: dict) -> dict:
        new = validated(NewOoapiEndpoint, body, "OOAPI endpoint")
        problem = outbound_url_problem(new.base_url, self.config["APP_ENV"], self.config["OUTBOUND_ALLOW_LOOPBACK"])
        if problem:
            raise ValidationFailed("the OOAPI base URL cannot be used", [{"field": "base_url", "message": problem}])
        keep = "authorization" not in body       # left out: the stored one stays; null: removed
        sealed = domain.seal(self.config["OOAPI_SECRET_KEY"], new.authorization) if new.authorization else None
        next_at = self._next_scheduled(provider_id, new.schedule)
        with self.store.transaction() as tx:
            tx.put_ooapi_endpoint(provider_id, new.base_url, sealed, keep, new.schedule, new.higher_education, next_at)
            return _endpoint_json(tx.ooapi_endpoint(provider_id), tx)

    @rpc(expected_exceptions=DomainError)
    def get_ooapi_endpoint(self, provider_id: str) -> dict:
        with self.store.transaction() as tx:
            row = tx.ooapi_endpoint(provider_id)
            if row is None:
                raise NotFound("no OOAPI endpoint is registered: PUT /api/v1/providers/me/ooapi")
            return _endpoint_json(row, tx)

    @rpc(expected_exceptions=DomainError)
    def delete_ooapi_endpoint(self, provider_id: str) -> None:
        """Remove it (a sync under way stops at its next request and withdraws nothing)."""
        with self.store.transaction() as tx:
            if not tx.delete_ooapi_endpoint(provider_id):
                raise NotFound("no OOAPI endpoint is registered")

    @rpc(expected_exceptions=DomainError)
    def request_ooapi_sync(self, provider_id: str) -> dict:
        """A sync as soon as a catalogue process is free: its import (progress and rejected
        items as an upload's). One asked for or running already is that one."""
        with self.store.transaction() as tx:
            row = tx.ooapi_endpoint(provider_id, for_update=True)
            if row is None:
                raise NotFound("no OOAPI endpoint is registered: PUT /api/v1/providers/me/ooapi first")
            import_id = row["requested_import"] or row["running_import"]
            if import_id is None:
                import_id = uuid.uuid4()
                tx.start_import(import_id, provider_id, OOAPI_SYNC, FULL_SYNC, f"provider:{provider_id}")
                tx.request_ooapi_sync(provider_id, import_id)
        return {"import_id": str(import_id), "status": "running"}

    @timer(interval=1)
    def sync_ooapi_endpoints(self):
        """Run the sync that is due, if any (one at a time per process: the timer waits for it)."""
        lease = self.config["OOAPI_LEASE_SECONDS"]
        with self.store.transaction() as tx:
            row = tx.claim_ooapi_sync(lease)
            if row is None:
                return
            provider_id = row["provider_id"]
            if row["running_import"] is not None:     # its process stopped mid-sync
                tx.fail_running_import(row["running_import"], "interrupted: the catalogue process running the "
                                                              "sync stopped; it was started again")
            import_id = row["requested_import"]
            if import_id is None or not tx.import_is_running(import_id):
                import_id = uuid.uuid4()
                tx.start_import(import_id, provider_id, OOAPI_SYNC, FULL_SYNC, f"provider:{provider_id}")
            tx.begin_ooapi_sync(provider_id, import_id)
        report = self._sync(row, str(provider_id), str(import_id), lease)
        with self.store.transaction() as tx:
            tx.end_ooapi_sync(provider_id, import_id, self._next_scheduled(provider_id, row["schedule"]))
        log.info("OOAPI sync of provider %s (import %s): %s", provider_id, import_id,
                 {k: report.get(k) for k in ("status", "accepted", "rejected", "withdrawn", "failure")})

    def _sync(self, row: dict, provider_id: str, import_id: str, lease: float) -> dict:
        try:
            authorization = (domain.unseal(self.config["OOAPI_SECRET_KEY"], row["authorization_sealed"])
                             if row["authorization_sealed"] else None)
        except ValueError as exc:
            return self.finish_import(provider_id, import_id, True, str(exc))
        politeness = Politeness(self.config["OOAPI_REQUESTS_PER_SECOND"], self.config["OOAPI_TIMEOUT_SECONDS"],
                                self.config["OOAPI_RETRIES"], self.config["OOAPI_RETRY_SECONDS"],
                                self.config["OOAPI_PAGE_SIZE"])

        def store_batch(items: list, seq: int, rejected: list) -> dict:
            return self.import_courses(provider_id, import_id, items, seq, rejected)

        def heartbeat() -> bool:
            with self.store.transaction() as tx:
                return tx.extend_ooapi_lease(provider_id, import_id, lease) and tx.touch_import(import_id, provider_id)

        def finish(failure: str | None) -> dict:
            return self.finish_import(provider_id, import_id, True, *((failure,) if failure else ()))

        allow_loopback = self.config["OUTBOUND_ALLOW_LOOPBACK"]
        if problem := outbound_url_problem(row["base_url"], self.config["APP_ENV"], allow_loopback):
            return finish(f"the base URL {problem}")        # one registered before today's rule
        client = OoapiClient(row["base_url"], authorization, politeness, allow_loopback=allow_loopback)
        return SyncRun(client, row["higher_education"], store_batch, heartbeat, finish,
                       heartbeat_seconds=min(10.0, lease / 4)).run()

    def _next_scheduled(self, provider_id, schedule: str) -> datetime | None:
        if schedule != "nightly":
            return None
        return domain.next_nightly_sync(datetime.now(timezone.utc), self.config["OOAPI_SYNC_HOUR"], str(provider_id))


def _endpoint_json(row: dict, tx) -> dict:
    """What a provider reads of its endpoint: never its authorization, only whether there is one."""
    last = tx.imports(row["provider_id"], row["last_import"])[0] if row["last_import"] else None
    pending = row["running_import"] or row["requested_import"]
    return {"base_url": row["base_url"], "has_authorization": row["authorization_sealed"] is not None,
            "schedule": row["schedule"], "higher_education": row["higher_education"],
            "next_sync_at": row["next_sync_at"] and row["next_sync_at"].isoformat(),
            "sync_under_way": str(pending) if pending else None,
            "last_sync": last and {"import_id": str(last["id"]), "status": last["status"],
                                   "accepted": last["accepted"], "rejected": last["rejected"],
                                   "withdrawn": last["withdrawn"], "failure": last["failure"],
                                   "finished_at": last["finished_at"] and last["finished_at"].isoformat()}}
