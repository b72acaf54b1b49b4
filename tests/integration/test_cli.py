"""The `akte` command line, run as a real subprocess against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.bootstrap import Services
from tests.conftest import MODELS, REPO
from tests.helpers import akte


def test_two_task_process_by_cli(services: Services) -> None:
    deployed = akte(services, "deploy", str(MODELS / "two_step.bpmn"), str(MODELS / "capture-schema.json"),
                    str(MODELS / "review-schema.json"))
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.strip().isdigit()
    assert "two_step v1 (new version)" in deployed.stderr

    started = akte(services, "instance", "start", "two_step", "--data", '{"case_id": "C-9"}',
                   "--business-key", "32.10.05-2026/00001")
    assert started.returncode == 0, started.stderr
    instance_id = started.stdout.strip()
    assert len(instance_id) == 36

    listed = akte(services, "task", "list", "--instance", instance_id, "--json")
    assert listed.returncode == 0, listed.stderr
    [task] = json.loads(listed.stdout)
    assert {"id", "name", "instance_id", "process_key", "assignee", "candidate_groups", "due", "priority"} <= set(task)
    assert task["instance_id"] == instance_id and task["candidate_groups"] == ["intake"]

    bad = akte(services, "task", "complete", task["id"], "--data", '{"applicant": "E"}')
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "amount" in bad.stderr and "applicant" in bad.stderr

    ok = akte(services, "task", "complete", task["id"], "--data", '{"applicant": "Erika", "amount": 3}',
              "--user", "anna")
    assert ok.returncode == 0, ok.stderr
    [review] = json.loads(akte(services, "task", "list", "--instance", instance_id, "--json").stdout)
    assert review["name"] == "Antrag prüfen"
    assert akte(services, "task", "complete", review["id"], "--data", '{"approved": false}').returncode == 0

    shown = akte(services, "instance", "show", instance_id, "--json")
    body = json.loads(shown.stdout)
    assert body["status"] == "completed" and body["data"]["decision"] == "rejected"
    text = akte(services, "instance", "show", instance_id)
    assert "task_completed" in text.stdout and "by anna" in text.stdout


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["instance", "start", "missing_process"], 3, "not deployed"),
        (["instance", "start", "x", "--data", "{not json"], 2, "--data is not valid JSON"),
        (["instance", "start", "x", "--data", "[1]"], 2, "must be a JSON object"),
        (["task", "complete", "0b7e5a8e-1111-4444-8888-000000000000", "--data", "{}"], 3, "not found"),
        (["instance", "show", "nope"], 3, "not found"),
        (["deploy", "/no/such/file.bpmn"], 3, "no such file"),
    ],
)
def test_cli_errors_are_one_line_with_exit_code(services: Services, args: list[str], code: int, needle: str) -> None:
    result = akte(services, *args)
    assert result.returncode == code, result.stderr
    assert needle in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_deploy_rejects_broken_model_with_file_line_element(services: Services, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_text((MODELS / "two_step.bpmn").read_text().replace('targetRef="review"', 'targetRef="nowhere"'))
    result = akte(services, "deploy", str(broken), str(MODELS / "capture-schema.json"),
                  str(MODELS / "review-schema.json"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for line in result.stderr.strip().splitlines():
        file, line_number, element, message = line.split(":", 3)
        assert file == "broken.bpmn" and int(line_number) > 0 and element.strip() and message.strip()
    assert akte(services, "definition", "list", "--json").stdout.strip() == "[]"


def test_deploy_folder_and_listing(services: Services) -> None:
    result = akte(services, "deploy", str(REPO / "bpmn"))
    assert result.returncode == 0, result.stderr
    listed = json.loads(akte(services, "definition", "list", "--json").stdout)
    assert "allgemeine_anfrage" in {row["key"] for row in listed}
    again = akte(services, "deploy", str(REPO / "bpmn"))
    assert again.returncode == 0 and again.stdout.strip() == "" and "unchanged" in again.stderr


def test_worker_messages_and_lifecycle_by_cli(services: Services) -> None:
    assert akte(services, "deploy", str(MODELS / "letter_wait.bpmn")).returncode == 0
    first = akte(services, "instance", "start", "letter_wait", "--data", '{"ref": "A-1"}').stdout.strip()
    second = akte(services, "instance", "start", "letter_wait", "--data", '{"ref": "B-2"}').stdout.strip()

    worked = akte(services, "worker", "--once")
    assert worked.returncode == 0, worked.stderr
    assert "2 job(s) done" in worked.stderr

    unknown = akte(services, "message", "send", "letter_received", "--correlate", "ref=Z-9")
    assert unknown.returncode == 3 and "no instance waits" in unknown.stderr
    assert unknown.stderr.count("\n") == 1 and "Traceback" not in unknown.stderr
    bad = akte(services, "message", "send", "letter_received", "--correlate", "ref")
    assert bad.returncode == 2 and "KEY=VALUE" in bad.stderr
    ambiguous = akte(services, "message", "send", "letter_received")
    assert ambiguous.returncode == 3 and "ambiguous" in ambiguous.stderr

    sent = akte(services, "message", "send", "letter_received", "--correlate", "ref=A-1", "--data", '{"pages": 2}')
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.split() == [first]
    shown = json.loads(akte(services, "instance", "show", first, "--json").stdout)
    assert shown["status"] == "completed" and shown["data"]["pages"] == 2
    assert [e["kind"] for e in shown["history"]].count("timer_fired") == 1

    assert akte(services, "instance", "suspend", second).returncode == 0
    again = akte(services, "instance", "suspend", second)
    assert again.returncode == 3 and "suspended" in again.stderr
    assert akte(services, "instance", "resume", second).returncode == 0
    assert akte(services, "instance", "cancel", second).returncode == 0
    assert json.loads(akte(services, "instance", "show", second, "--json").stdout)["status"] == "cancelled"

    incidents = akte(services, "incident", "list", "--json")
    assert incidents.returncode == 0 and json.loads(incidents.stdout) == []
    missing = akte(services, "incident", "retry", "999")
    assert missing.returncode == 3 and "incident 999 not found" in missing.stderr
