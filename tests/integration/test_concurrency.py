"""Optimistic locking: two concurrent completions of one task -> one wins, the other gets Conflict."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from core.bootstrap import Services
from core.errors import Conflict
from engine.instances import get_instance
from tests.helpers import complete, deploy_models, start


def test_two_concurrent_completions_one_conflict(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_models(services, "two_step.bpmn", "capture-schema.json", "review-schema.json")
    view = start(services, "two_step")
    task_id = view.open_tasks[0].id

    runtime = services.engine.runtime
    original = runtime.complete_user_task
    both_loaded = threading.Barrier(2, timeout=20)

    def complete_after_both_loaded(*args: Any, **kwargs: Any) -> Any:
        snapshot = original(*args, **kwargs)
        both_loaded.wait()  # both threads hold the same instance version before either writes
        return snapshot

    monkeypatch.setattr(runtime, "complete_user_task", complete_after_both_loaded)
    outcomes: list[str] = []

    def worker(name: str) -> None:
        try:
            complete(services, task_id, {"applicant": name, "amount": 1}, user=name)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("anna", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]

    with services.db.unit_of_work() as uow:
        after = get_instance(uow, view.id, with_history=True)
    assert [t.name for t in after.open_tasks] == ["Antrag prüfen"]
    assert [e.kind for e in after.history].count("task_completed") == 1
