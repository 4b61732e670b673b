"""Each service's contract module declares its RPC methods as a typed client; a caller goes
through it. These tests read the services' own entrypoints and hold every declaration to them,
so a client cannot ask for a method, or a parameter, that the service does not have."""
from __future__ import annotations

import importlib
import inspect

import pytest
from nameko.rpc import Rpc

from services.chassis.clients import ServiceClient

CONTRACTS = {"catalogue": "CatalogueClient", "search": "SearchClient", "intake": "IntakeClient",
             "notify": "NotifyClient", "analytics": "AnalyticsClient"}


def served(service: str) -> dict[str, inspect.Signature]:
    """The RPC methods the service's class has, as its entrypoints say."""
    cls = importlib.import_module(f"services.{service}.service").SERVICE
    return {name: inspect.signature(member) for name, member in inspect.getmembers(cls, inspect.isfunction)
            if any(isinstance(e, Rpc) for e in getattr(member, "nameko_entrypoints", ()))}


def client(service: str) -> type[ServiceClient]:
    return getattr(importlib.import_module(f"services.contracts.{service}"), CONTRACTS[service])


@pytest.mark.parametrize("service", CONTRACTS)
def test_the_contract_declares_every_method_the_service_serves(service):
    declared, methods = client(service).declared(), served(service)
    assert client(service).service == service
    assert set(declared) == set(methods), "declared but not served, or served but not declared"


@pytest.mark.parametrize("service", CONTRACTS)
def test_each_declaration_takes_what_the_method_takes(service):
    methods = served(service)
    for name, signature in client(service).declared().items():
        theirs = [(p.name, p.default is inspect.Parameter.empty) for p in methods[name].parameters.values()]
        ours = [(p.name, p.default is inspect.Parameter.empty) for p in signature.parameters.values()]
        # the names may differ (a model for a body); the number, order and which are required may not
        assert [required for _, required in ours] == [required for _, required in theirs], name


def test_a_request_model_goes_as_the_fields_the_caller_set():
    from services.contracts.intake import IntakeClient, NewIntake

    sent = []

    class Proxy:
        def __getattr__(self, method):
            class Method:
                @staticmethod
                def call_async(*args, **kwargs):
                    sent.append((method, args, kwargs))
                    return type("Reply", (), {"result": staticmethod(lambda: {"id": "x"})})
            return Method

    intake = NewIntake.model_validate({"name": "Ans", "phone": "0612345678", "situation": "werkzoekend",
                                       "preferred_contact": "phone", "consent": True})
    assert IntakeClient(Proxy()).submit_intake(intake, "127.0.0.1", request_id="r1") == {"id": "x"}
    method, args, kwargs = sent[0]
    assert method == "submit_intake" and args[1:] == ("127.0.0.1", "r1") and kwargs == {}
    assert args[0]["name"] == "Ans" and "email" not in args[0], "only what was set travels"
