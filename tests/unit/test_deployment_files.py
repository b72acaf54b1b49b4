"""docker-compose.yml is valid Compose and only sets AKTE_* variables the settings object knows."""

from __future__ import annotations

import configparser
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from core.settings import known_environment_variables

REPO = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def _compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: dict[str, Any] = json.loads(vendored.read_text())
    return schema


def test_compose_file_matches_the_compose_specification() -> None:
    jsonschema.validate(_compose(), _compose_schema())


def test_compose_schema_check_would_catch_a_mistake() -> None:
    broken = _compose()
    broken["services"]["app"]["restart"] = ["always"]
    errors = list(jsonschema.Draft7Validator(_compose_schema()).iter_errors(broken))
    assert errors


def test_every_akte_variable_in_compose_is_a_known_setting() -> None:
    services = _compose()["services"]
    used = {
        name
        for service in services.values()
        for name in (service.get("environment") or {})
        if name.startswith("AKTE_")
    }
    assert used, "the app services must be configured through AKTE_* variables"
    assert used <= known_environment_variables(), used - known_environment_variables()


def test_compose_has_every_part_of_the_deployment_with_health_checks_and_volumes() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"app", "worker", "postgres", "minio", "elasticsearch"} <= set(services)
    for name in ("app", "postgres", "minio", "elasticsearch"):
        assert "healthcheck" in services[name], name
    assert {"postgres-data", "minio-data", "elasticsearch-data"} <= set(compose["volumes"])
    assert services["worker"]["command"] == ["akte", "worker"]


def test_the_image_contains_every_installed_package() -> None:
    """`pip install .` in the Dockerfile installs what setup.cfg lists: each package must be copied in."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    packages = {name.strip() for name in config["options.packages.find"]["include"].split() if "." not in name}
    dockerfile = (REPO / "Dockerfile").read_text()
    missing = sorted(name for name in packages if f"COPY {name} {name}" not in dockerfile)
    assert packages >= {"core", "engine", "records", "search", "storage", "web"} and missing == []
