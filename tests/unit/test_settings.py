"""Settings name the variable that is wrong."""
from __future__ import annotations

import pytest

from services.chassis.settings import ConfigurationError, DatabaseServiceSettings, load_settings


def test_settings_name_the_variable(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATABASE_URL is missing"):
        load_settings(DatabaseServiceSettings)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/catalogue")
    monkeypatch.setenv("EVENT_RETRY_DELAYS", "[0.5, 2]")
    assert load_settings(DatabaseServiceSettings).event_retry_delays == [0.5, 2]
