"""Health plumbing: every service answers the ``health`` RPC; the gateway's /health asks them all."""
from __future__ import annotations

from nameko.rpc import rpc

from services.chassis.postgres import database_attribute


class HealthMixin:
    """Mix into a service class: ``health()`` checks the service's database in a transaction."""

    @rpc
    def health(self) -> dict:
        try:
            attr = database_attribute(type(self))
        except TypeError:
            return {"status": "ok"}
        with getattr(self, attr).transaction() as tx:
            tx.ping()
        return {"status": "ok"}
