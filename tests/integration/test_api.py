"""JSON API v1 through the Flask test client (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO

import pytest
from flask.testing import FlaskClient

from core.bootstrap import Services
from tests.conftest import MODELS
from tests.web_helpers import api_client


@pytest.fixture
def client(services: Services) -> Iterator[FlaskClient]:
    with api_client(services) as test_client:
        yield test_client


def _upload(client: FlaskClient, *names: str, content: dict[str, bytes] | None = None) -> object:
    files = [(BytesIO((content or {}).get(n) or (MODELS / n).read_bytes()), n) for n in names]
    return client.post("/api/v1/deployments", data={"files": files}, content_type="multipart/form-data")


def test_two_task_process_by_api(client: FlaskClient) -> None:
    deployed = _upload(client, "two_step.bpmn", "capture-schema.json", "review-schema.json")
    assert deployed.status_code == 201, deployed.json
    assert deployed.json["processes"][0]["key"] == "two_step"

    definitions = client.get("/api/v1/process-definitions").json
    assert [(d["key"], d["version"]) for d in definitions] == [("two_step", 1)]

    started = client.post("/api/v1/process-instances", json={"key": "two_step", "data": {"case_id": "A1"}})
    assert started.status_code == 201
    instance_id = started.json["id"]
    [task] = client.get(f"/api/v1/tasks?instance_id={instance_id}").json
    assert task["name"] == "Antrag erfassen"

    bad = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"applicant": "E", "amount": "x"}})
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "validation_failed"
    assert set(bad.json["error"]["details"]) == {"applicant", "amount"}

    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"applicant": "Erika", "amount": 2}})
    assert done.status_code == 200
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"applicant": "Erika", "amount": 2}})
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"

    [review] = done.json["open_tasks"]
    finished = client.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"approved": True}})
    assert finished.json["status"] == "completed"
    shown = client.get(f"/api/v1/process-instances/{instance_id}").json
    assert shown["data"]["decision"] == "approved"
    assert shown["history"][0]["kind"] == "started" and shown["history"][-1]["kind"] == "ended"


def test_api_errors_are_json(client: FlaskClient) -> None:
    assert client.get("/api/v1/process-instances/xyz").json["error"]["code"] == "not_found"
    assert client.get("/api/v1/unknown").json["error"]["code"] == "not_found"
    response = client.post("/api/v1/process-instances", data="{", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.json["error"]["message"]
    response = client.post("/api/v1/process-instances", json={"data": {}})
    assert response.status_code == 400 and response.json["error"]["details"] == {"key": "required"}
    response = client.post("/api/v1/process-instances", json={"key": "nope"})
    assert response.status_code == 404
    response = client.post("/api/v1/deployments", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    response = client.delete("/api/v1/tasks")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"


def test_rejected_deployment_lists_problems_and_stores_nothing(client: FlaskClient) -> None:
    broken = (MODELS / "two_step.bpmn").read_bytes().replace(b"</bpmn:definitions>", b"")
    response = _upload(client, "two_step.bpmn", content={"two_step.bpmn": broken})
    assert response.status_code == 400
    [problem] = response.json["error"]["details"]
    assert problem["file"] == "two_step.bpmn" and problem["line"] > 0
    assert client.get("/api/v1/process-definitions").json == []


def test_health(client: FlaskClient, services: Services) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json["database"] == services.db.backend


def test_messages_lifecycle_and_incidents_by_api(client: FlaskClient, services: Services) -> None:
    from engine.jobs import run_due_jobs

    assert _upload(client, "letter_wait.bpmn").status_code == 201
    started = client.post("/api/v1/process-instances", json={"key": "letter_wait", "data": {"ref": "A-1"}})
    instance_id = started.json["id"]
    services.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    assert run_due_jobs(services.db, services.engine) == 1

    missing = client.post("/api/v1/messages", json={"name": "letter_received", "correlate": {"ref": "nope"}})
    assert missing.status_code == 404 and "no instance waits" in missing.json["error"]["message"]
    invalid = client.post("/api/v1/messages", json={"name": "letter_received", "correlate": ["ref"]})
    assert invalid.status_code == 400 and invalid.json["error"]["details"] == {"correlate": "must be an object"}

    suspended = client.post(f"/api/v1/process-instances/{instance_id}/suspend", json={"user": "sup"})
    assert suspended.status_code == 200 and suspended.json["status"] == "suspended"
    assert client.post(f"/api/v1/process-instances/{instance_id}/suspend").status_code == 409
    assert client.post(f"/api/v1/process-instances/{instance_id}/resume").json["status"] == "running"

    delivered = client.post("/api/v1/messages", json={"name": "letter_received", "correlate": {"ref": "A-1"},
                                                      "data": {"pages": 3}})
    assert delivered.status_code == 200
    assert delivered.json == {"outcome": "delivered", "instance_ids": [instance_id]}
    shown = client.get(f"/api/v1/process-instances/{instance_id}").json
    assert shown["status"] == "completed" and shown["data"]["pages"] == 3
    assert client.get("/api/v1/incidents").json == []
    assert client.post("/api/v1/incidents/5/retry").status_code == 404
