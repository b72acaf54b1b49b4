"""Migration of running instances from version 1 to version 2 (tests/fixtures/models/migrate_v1.bpmn, _v2.bpmn):
dry run, the move itself, refusals, timers, messages, history, concurrency and the designer page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import NotFound, ValidationFailed
from engine.actors import TaskActor
from engine.deploy import deploy
from engine.handlers import HandlerRegistry
from engine.jobs import run_due_jobs
from engine.lifecycle import resume_instance, suspend_instance
from engine.messages import send_message
from engine.migration import MigrationPlan, MigrationResult, migrate_instances, plan_migration
from engine.models import (
    HumanTask,
    HumanTaskEntry,
    InstanceEvent,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
)
from engine.taskops import claim
from engine.views import InstanceView
from engine.workflow.parsing import SourceFile
from tests.conftest import MODELS
from tests.helpers import complete, deploy_models, instance, model_files, start
from tests.web_helpers import csrf_from, page_client


@pytest.fixture
def v1(services: Services) -> Services:
    deploy_models(services, "migrate_v1.bpmn")
    return services


def deploy_v2(services: Services) -> None:
    result = deploy_models(services, "migrate_v2.bpmn")
    assert [p.version for p in result.processes] == [2]


def begin(services: Services, route: str, key: str | None = None) -> InstanceView:
    return start(services, "migrate", {"route": route}, business_key=key or f"MIG-{route}")


def plan(services: Services, mapping: dict[str, str] | None = None) -> MigrationPlan:
    with services.db.unit_of_work() as uow:
        return plan_migration(uow, services.engine, "migrate", 1, 2, mapping)


def migrate(services: Services, ids: list[str], mapping: dict[str, str] | None = None,
            **kwargs: Any) -> MigrationResult:
    with services.db.unit_of_work() as uow:
        result = migrate_instances(uow, services.engine, "migrate", 1, 2, ids, mapping, "dora", **kwargs)
        uow.commit()
    return result


def definition_id(services: Services, version: int) -> int:
    with services.db.unit_of_work() as uow:
        found = uow.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "migrate",
                                                                      ProcessDefinition.version == version))
    assert found is not None
    return found


def row_state(services: Services, instance_id: str) -> tuple[int, int, str]:
    with services.db.unit_of_work() as uow:
        row = uow.session.get(ProcessInstance, uuid.UUID(instance_id))
        assert row is not None
        return row.definition_id, row.version, row.state


def fetch(services: Services, query: Any) -> list[Any]:
    """Rows as they are now, detached (readable after their unit of work ended)."""
    with services.db.unit_of_work() as uow:
        rows = list(uow.session.scalars(query))
        uow.session.expunge_all()
    return rows


def open_task(services: Services, instance_id: str) -> HumanTask:
    rows = fetch(services, select(HumanTask).where(HumanTask.instance_id == uuid.UUID(instance_id),
                                                   HumanTask.status == "open"))
    assert len(rows) == 1, [r.element_id for r in rows]
    return rows[0]


def jobs(services: Services, instance_id: str) -> list[Job]:
    return fetch(services, select(Job).where(Job.instance_id == uuid.UUID(instance_id)))


def test_dry_run_tells_which_instances_can_move_and_why(v1: Services) -> None:
    views = {route: begin(v1, route) for route in "abcdmsw"}
    deploy_v2(v1)

    report = plan(v1, {})
    by_route = {views[route].id: route for route in views}
    verdicts = {by_route[p.instance_id]: p for p in report.instances}
    assert {route for route, p in verdicts.items() if p.can_move} == {"a", "d", "w"}
    assert verdicts["a"].business_key == "MIG-a" and verdicts["a"].status == "running"
    assert [(a.element_id, a.target) for a in verdicts["a"].activities] == [("review", "review")]
    assert [r.code for r in verdicts["c"].reasons] == ["missing"]
    assert "legacy (Altes Verfahren) does not exist in version 2" in verdicts["c"].reasons[0].message
    assert [(r.code, r.other) for r in verdicts["b"].reasons] == [("missing", "evaluate")]
    assert "renamed to evaluate" in verdicts["b"].reasons[0].message
    assert [(r.code, r.element) for r in verdicts["m"].reasons] == [("missing_event", "documents")]
    assert [(r.code, r.element, r.other) for r in verdicts["s"].reasons] == [("subprocess_changed", "precheck", "pre")]
    assert report.suggested_mapping == {"assess": "evaluate", "documents": "await_documents"}
    assert {e.element_id for e in report.removed} == {"assess", "documents", "legacy"}
    assert {"approve", "evaluate", "await_documents"} <= {e.element_id for e in report.added}

    suggested = plan(v1)  # no mapping given: the suggestions apply
    assert suggested.mapping == report.suggested_mapping
    assert {by_route[p.instance_id] for p in suggested.movable} == {"a", "b", "d", "m", "w"}
    current = definition_id(v1, 1)
    assert all(row_state(v1, view.id)[0] == current for view in views.values())  # a dry run changes nothing


def test_dry_run_refuses_unknown_versions_and_mapping_ids(v1: Services) -> None:
    deploy_v2(v1)
    with pytest.raises(ValidationFailed) as refused:
        plan(v1, {"assess": "nowhere"})
    assert "mapping.assess" in refused.value.details
    with pytest.raises(ValidationFailed):
        plan(v1, {"ghost": "evaluate"})
    with v1.db.unit_of_work() as uow, pytest.raises(NotFound):
        plan_migration(uow, v1.engine, "migrate", 1, 3, None)
    with v1.db.unit_of_work() as uow, pytest.raises(ValidationFailed):
        plan_migration(uow, v1.engine, "migrate", 1, 1, None)


def test_waiting_user_task_moves_keeps_its_holder_and_continues_on_the_new_path(v1: Services,
                                                                                clock: FrozenClock) -> None:
    view = begin(v1, "a")
    before = open_task(v1, view.id)
    with v1.db.unit_of_work() as uow:
        claim(uow, v1.engine, TaskActor("rita", frozenset({"review"})), before.id)
        uow.commit()
    deploy_v2(v1)
    clock.advance(timedelta(hours=3))

    result = migrate(v1, [view.id], {})
    assert result.moved == [view.id] and not result.failed

    task = open_task(v1, view.id)
    assert task.id == before.id and task.element_id == "review" and task.definition_id == definition_id(v1, 2)
    assert task.name == "Antrag fachlich prüfen" and task.candidate_groups == ["review-team"]
    assert task.assignee == "rita" and task.due_at == before.due_at  # the holder and the deadline stay
    with v1.db.unit_of_work() as uow:
        holders = set(uow.session.scalars(select(HumanTaskEntry.holder).where(HumanTaskEntry.task_id == task.id)))
    assert holders == {"u:rita"}
    shown = instance(v1, view.id)
    assert shown.process_version == 2
    migrated = [event for event in shown.history if event.kind == "migrated"]
    assert len(migrated) == 1 and migrated[0].actor == "dora"
    assert migrated[0].payload["from_version"] == 1 and migrated[0].payload["to_version"] == 2
    assert migrated[0].created_at == clock.now().isoformat()

    after_review = complete(v1, str(task.id), {}, user="rita")
    assert [t.element_id for t in after_review.open_tasks] == ["approve"]  # a step only version 2 has
    assert after_review.open_tasks[0].candidate_groups == ["lead"]
    done = complete(v1, after_review.open_tasks[0].id, {})
    assert done.status == "completed"


def test_renamed_task_moves_only_with_the_mapping(v1: Services) -> None:
    view = begin(v1, "b")
    deploy_v2(v1)
    untouched = row_state(v1, view.id)

    refused = migrate(v1, [view.id], {})
    assert refused.moved == [] and refused.failed[0].code == "conflict"
    assert "assess (Antrag bewerten) does not exist in version 2" in refused.failed[0].message
    assert row_state(v1, view.id) == untouched

    moved = migrate(v1, [view.id], {"assess": "evaluate"})
    assert moved.moved == [view.id] and moved.mapping == {"assess": "evaluate"}
    task = open_task(v1, view.id)
    assert (task.element_id, task.candidate_groups) == ("evaluate", ["review-team"])
    events = [e for e in instance(v1, view.id).history if e.kind == "migrated"]
    assert events[0].payload["mapping"] == {"assess": "evaluate"}
    assert events[0].payload["moved"] == {"assess": "evaluate"}
    assert complete(v1, str(task.id), {}).status == "completed"


def test_instance_whose_task_was_removed_is_refused_and_others_still_move(v1: Services) -> None:
    removed, kept = begin(v1, "c"), begin(v1, "a")
    deploy_v2(v1)
    untouched = row_state(v1, removed.id)
    task_before = open_task(v1, removed.id)

    result = migrate(v1, [removed.id, kept.id], {})
    assert result.moved == [kept.id]
    assert [(o.instance_id, o.code) for o in result.failed] == [(removed.id, "conflict")]
    assert "legacy (Altes Verfahren) does not exist in version 2" in result.failed[0].message
    assert row_state(v1, removed.id) == untouched
    task_after = open_task(v1, removed.id)
    assert (task_after.definition_id, task_after.element_id, task_after.version) == (
        definition_id(v1, 1), "legacy", task_before.version)
    assert not [e for e in instance(v1, removed.id).history if e.kind == "migrated"]
    assert instance(v1, kept.id).process_version == 2


def test_waiting_timer_keeps_its_moment_and_fires_after_the_move(v1: Services, clock: FrozenClock) -> None:
    view = begin(v1, "d")
    deploy_v2(v1)
    [job_before] = jobs(v1, view.id)
    clock.advance(timedelta(hours=1))

    assert migrate(v1, [view.id]).moved == [view.id]
    [job] = jobs(v1, view.id)
    assert (job.id, job.element_id, job.due_at) == (job_before.id, "pause", job_before.due_at)

    clock.advance(timedelta(minutes=59))
    assert run_due_jobs(v1.db, v1.engine) == 0  # not due yet: the move did not restart the timer
    clock.advance(timedelta(minutes=1, seconds=1))
    assert run_due_jobs(v1.db, v1.engine) == 1
    task = open_task(v1, view.id)
    assert (task.element_id, task.definition_id) == ("follow_up", definition_id(v1, 2))


def test_boundary_timer_moves_with_its_task_and_still_interrupts(v1: Services, clock: FrozenClock) -> None:
    fired, answered = begin(v1, "w", "W-1"), begin(v1, "w", "W-2")
    deploy_v2(v1)
    assert sorted(migrate(v1, [fired.id, answered.id]).moved) == sorted([fired.id, answered.id])

    done = complete(v1, str(open_task(v1, answered.id).id), {})
    assert done.status == "completed"
    assert jobs(v1, answered.id) == []

    clock.advance(timedelta(days=10, seconds=1))
    assert run_due_jobs(v1.db, v1.engine) == 1
    task = open_task(v1, fired.id)
    assert (task.element_id, task.candidate_groups) == ("escalate_case", ["lead"])
    assert complete(v1, str(task.id), {}).status == "completed"


def test_message_subscription_follows_a_renamed_catch_event(v1: Services) -> None:
    view = begin(v1, "m", "DOC-1")
    deploy_v2(v1)
    assert migrate(v1, [view.id]).moved == [view.id]  # the suggested mapping documents -> await_documents
    [subscription] = fetch(v1, select(MessageSubscription).where(MessageSubscription.instance_id == uuid.UUID(view.id)))
    assert (subscription.element_id, subscription.message_name) == ("await_documents", "documents_received")
    with v1.db.unit_of_work() as uow:
        sent = send_message(uow, v1.engine, "documents_received", {"business_key": "DOC-1"}, {})
        uow.commit()
    assert sent.outcome == "delivered"
    assert instance(v1, view.id).status == "completed"


def test_parallel_branches_and_suspended_instances_move(v1: Services, clock: FrozenClock) -> None:
    parallel = begin(v1, "p")
    first = next(t for t in parallel.open_tasks if t.element_id == "check_a")
    complete(v1, first.id, {})
    paused = begin(v1, "d", "PAUSED")
    with v1.db.unit_of_work() as uow:
        suspend_instance(uow, v1.engine, paused.id, actor="svenja")
        uow.commit()
    deploy_v2(v1)

    assert sorted(migrate(v1, [parallel.id, paused.id]).moved) == sorted([parallel.id, paused.id])
    assert complete(v1, str(open_task(v1, parallel.id).id), {}).status == "completed"
    assert instance(v1, paused.id).status == "suspended"
    clock.advance(timedelta(hours=3))
    assert run_due_jobs(v1.db, v1.engine) == 0  # a suspended instance's timer stays held
    with v1.db.unit_of_work() as uow:
        resume_instance(uow, v1.engine, paused.id)
        uow.commit()
    assert run_due_jobs(v1.db, v1.engine) == 1
    assert open_task(v1, paused.id).element_id == "follow_up"


def test_instance_changed_since_the_dry_run_is_a_conflict(v1: Services) -> None:
    view = begin(v1, "p")
    deploy_v2(v1)
    seen = {p.instance_id: p.row_version for p in plan(v1).instances}
    complete(v1, view.open_tasks[0].id, {})  # someone works on the case meanwhile

    result = migrate(v1, [view.id], expected_versions=seen)
    assert result.failed[0].code == "conflict" and "changed since the dry run" in result.failed[0].message
    assert row_state(v1, view.id)[0] == definition_id(v1, 1)


def test_concurrent_completion_during_the_move_is_a_conflict(v1: Services) -> None:
    view, other = begin(v1, "a", "RACE"), begin(v1, "a", "CALM")
    deploy_v2(v1)
    with v1.db.unit_of_work() as uow:
        assert uow.session.get(ProcessInstance, uuid.UUID(view.id)) is not None  # the migration read it ...
        complete(v1, view.open_tasks[0].id, {})  # ... then a caseworker completed its task and committed
        result = migrate_instances(uow, v1.engine, "migrate", 1, 2, [view.id, other.id], None, "dora")
        uow.commit()
    assert {o.instance_id: o.code for o in result.failed}[view.id] == "conflict"
    if v1.db.backend == "postgresql":  # the other instance still moves (SQLite refuses every write of a
        assert result.moved == [other.id]  # transaction that began before the concurrent commit)
    assert [t.element_id for t in instance(v1, view.id).open_tasks] == []  # version 1 ended it: no approve step
    assert instance(v1, view.id).process_version == 1 and instance(v1, view.id).status == "completed"
    with v1.db.unit_of_work() as uow:
        kinds = list(uow.session.scalars(select(InstanceEvent.kind).where(
            InstanceEvent.instance_id == uuid.UUID(view.id))))
    assert "migrated" not in kinds


def test_migration_page_needs_the_designer_role(v1: Services) -> None:
    begin(v1, "a")
    deploy_v2(v1)
    caseworker = page_client(v1, "carl", roles=("caseworker",), locale="en")
    assert caseworker.get("/designer/processes/migrate/migrate?from=1&to=2").status_code == 403
    response = caseworker.post("/designer/processes/migrate/migrate?from=1&to=2", data={})
    assert response.status_code in (400, 403)


def test_migration_page_shows_the_dry_run_and_moves_selected_instances(v1: Services) -> None:
    movable, refused, renamed = begin(v1, "a"), begin(v1, "c"), begin(v1, "b")
    deploy_v2(v1)
    client = page_client(v1, "dora", roles=("designer",), locale="en")

    page = client.get("/designer/processes/migrate/migrate?from=1&to=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="{movable.id}"' in html and "MIG-c" in html
    assert "does not exist in version 2" in html
    assert 'name="map.assess"' in html and 'value="evaluate"' in html  # the suggestion, ready to edit

    page = client.get("/designer/processes/migrate/migrate?from=1&to=2&map.assess=")  # the suggestion cleared
    assert f'id="instance-{renamed.id}"' not in page.get_data(as_text=True)  # cannot move: no checkbox
    assert "renamed to evaluate" in page.get_data(as_text=True)

    seen = {p.instance_id: p.row_version for p in plan(v1).instances}
    response = client.post("/designer/processes/migrate/migrate?from=1&to=2", data={
        "csrf_token": csrf_from(html), "instance": [movable.id, refused.id, renamed.id],
        "map.assess": "evaluate", **{f"version.{k}": str(v) for k, v in seen.items()}})
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert 'id="migration-result"' in result
    assert instance(v1, movable.id).process_version == 2 and instance(v1, renamed.id).process_version == 2
    assert instance(v1, refused.id).process_version == 1
    assert "legacy" in result  # the refused one, with its reason

    wrong = client.get("/designer/processes/migrate/migrate?from=1&to=2&pair=1-2&map.legacy=nowhere")
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.get_data(as_text=True)
    assert "nowhere is not an element of the target version" in wrong.get_data(as_text=True)
    other_pair = client.get("/designer/processes/migrate/migrate?from=1&to=2&pair=2-1&map.legacy=nowhere")
    assert 'id="migration-plan"' in other_pair.get_data(as_text=True)  # a mapping of another pair is dropped

    missing_csrf = client.post("/designer/processes/migrate/migrate?from=1&to=2", data={"instance": [refused.id]})
    assert missing_csrf.status_code == 400


def deploy_changed_copy(services: Services, name: str, old: bytes, new: bytes, *extra: str) -> None:
    """Deploy a fixture model with one change as the next version of its process."""
    content = (MODELS / name).read_bytes()
    assert old in content
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, [SourceFile(name, content.replace(old, new)), *model_files(*extra)])
        uow.commit()


def test_instance_inside_an_unchanged_subprocess_moves(services: Services) -> None:
    deploy_models(services, "child.bpmn", "parent.bpmn")
    view = start(services, "parent", {})
    assert [t.element_id for t in view.open_tasks] == ["precheck"]
    deploy_changed_copy(services, "parent.bpmn", b'name="Hauptverfahren"', b'name="Hauptverfahren neu"')

    with services.db.unit_of_work() as uow:
        result = migrate_instances(uow, services.engine, "parent", 1, 2, [view.id], None, "dora")
        uow.commit()
    assert result.moved == [view.id]
    after = complete(services, view.open_tasks[0].id, {})
    assert after.process_version == 2 and [t.element_id for t in after.open_tasks] == ["statement"]


def test_boundary_events_follow_a_renamed_activity(services: Services, handlers: HandlerRegistry,
                                                   clock: FrozenClock) -> None:
    handlers.register("test.order_card", lambda params: {"order_id": "ORD-1"})
    reminders: list[dict[str, Any]] = []
    handlers.register("test.send_reminder", reminders.append)
    deploy_models(services, "waiting.bpmn")
    view = start(services, "waiting", {"licence_number": "B-1"}, business_key="LIC-1")
    clock.advance(timedelta(hours=1, seconds=1))
    run_due_jobs(services.db, services.engine)  # the settle timer fires, the order is placed: it waits at receive
    before = sorted((job.element_id, job.due_at) for job in jobs(services, view.id))
    assert [element for element, _due in before] == ["escalate", "remind"]
    deploy_changed_copy(services, "waiting.bpmn", b'"receive"', b'"receive_licence"')

    report = plan_migration_of(services, "waiting")
    assert report.suggested_mapping == {"receive": "receive_licence"}
    with services.db.unit_of_work() as uow:
        result = migrate_instances(uow, services.engine, "waiting", 1, 2, [view.id], None, "dora")
        uow.commit()
    assert result.moved == [view.id], result.failed
    assert sorted((job.element_id, job.due_at) for job in jobs(services, view.id)) == before
    [subscription] = fetch(services, select(MessageSubscription).where(
        MessageSubscription.instance_id == uuid.UUID(view.id)))
    assert subscription.element_id == "receive_licence"

    clock.advance(timedelta(days=7))
    run_due_jobs(services.db, services.engine)  # the first reminder (non-interrupting cycle) still goes out
    assert len(reminders) == 1
    with services.db.unit_of_work() as uow:
        send_message(uow, services.engine, "licence_received", {"business_key": "LIC-1"}, {})
        uow.commit()
    assert instance(services, view.id).status == "completed"
    assert jobs(services, view.id) == []


def plan_migration_of(services: Services, key: str) -> MigrationPlan:
    with services.db.unit_of_work() as uow:
        return plan_migration(uow, services.engine, key, 1, 2, None)
