"""The `akte` command line, run as a real subprocess against SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.bootstrap import Services
from tests.conftest import MODELS, REPO

AKTE = [sys.executable, "-c", "from web.cli import main; main()"]


def akte(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AKTE_DATABASE_URL=services.settings.database_url,
               AKTE_DATA_DIR=str(services.settings.data_dir))
    return subprocess.run([*AKTE, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


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
