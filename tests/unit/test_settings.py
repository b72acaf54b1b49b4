from __future__ import annotations

import pytest

from core.errors import ConfigurationError
from core.settings import known_environment_variables, load_settings


def test_defaults_are_the_embedded_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in known_environment_variables():
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/akte.db"
    assert settings.blob_url == "file://var/blobs"
    assert settings.search_url == "db"
    assert settings.host == "127.0.0.1" and settings.port == 5000


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKTE_PORT", "8080")
    monkeypatch.setenv("AKTE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = load_settings()
    assert settings.port == 8080 and settings.database_url.startswith("postgresql")


@pytest.mark.parametrize(("name", "value"), [("AKTE_PORT", "not-a-port"), ("AKTE_DATABASE_URL", "mysql://x")])
def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings()
