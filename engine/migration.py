"""Migration of running instances from one version of a process to another.

`plan_migration` is the dry run: for every running or suspended instance of version N it tries the move in
memory and reports whether it can go to version M and, if not, why (its active task is gone, it waits at an
event that is gone, a task changed its type, it runs inside a subprocess that changed, it has an incident).
Renamed activities are matched by a mapping old id -> new id; one is suggested where an element vanished and
exactly one new element has its name and type.

`migrate_instances` moves instances, each in a savepoint of its own (one that fails is rolled back and
reported, the others move): the serialized state is re-bound to the new spec and verified, the instance row
points at the new version, its open human tasks take element, name, candidate groups and form from the new
version (assignee, due date and claims stay), timer jobs and message subscriptions follow their elements,
and the history records a `migrated` event. A concurrent change of an instance (its row version moved on, or
it differs from the version the dry run saw) is a Conflict for that instance.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork, concurrent_changes_as_conflict, each_in_savepoint
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import parse_uuid
from engine import taskindex, taskmeta
from engine.context import EngineContext
from engine.instances import definition_version
from engine.models import HumanTask, Incident, Job, MessageSubscription, ProcessDefinition, ProcessInstance
from engine.persistence import DEFAULT_MAX_ATTEMPTS, record_event
from engine.taskindex import CaseColumns
from engine.workflow.migration import ActiveTask, Element, ModelPair, Reason, Rebound
from engine.workflow.runtime import SERIALIZER_VERSION

MOVABLE_STATUSES = ("running", "suspended")
MAX_INSTANCES = 1000

REASON_TEXTS = {
    "missing": "its active task {element} does not exist in version {version}",
    "missing_event": "it waits at event {element}, which does not exist in version {version}",
    "type_changed": "{element} is a {other} in version {version}: the task type changed",
    "event_changed": "{element} waits for another kind of timer or another message in version {version}",
    "detached": "boundary event {element} is no longer attached to {other} in version {version}",
    "subprocess_changed": "{element} runs inside the subprocess or call activity {other}, which changed in "
                          "version {version}",
    "failed": "{element} failed; resolve its incident first",
    "incident": "it has an open incident at {element}; resolve it first",
    "not_rebound": "its state could not be re-bound to version {version}: {other}",
}
RENAME_HINT = " (renamed to {other}? add it to the mapping)"


@dataclass(frozen=True)
class ReasonView:
    code: str
    element: str
    other: str | None
    message: str  # in English; the web page words it from code, element and other


@dataclass(frozen=True)
class ActivityView:
    element_id: str
    name: str
    kind: str
    state: str
    target: str | None  # the element it moves to, None if it cannot
    inside: str | None


@dataclass(frozen=True)
class InstancePlan:
    instance_id: str
    business_key: str | None
    status: str
    row_version: int  # the instance row's version the dry run saw (optimistic check of the move)
    activities: list[ActivityView]
    reasons: list[ReasonView]

    @property
    def can_move(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class MigrationPlan:
    key: str
    from_version: int
    to_version: int
    mapping: dict[str, str]  # the renames the plan used
    suggested_mapping: dict[str, str]
    removed: list[Element]  # elements of version N missing from version M (mapping candidates)
    added: list[Element]  # elements of version M missing from version N (mapping targets)
    new_elements: list[Element]
    instances: list[InstancePlan] = field(default_factory=list)

    @property
    def movable(self) -> list[InstancePlan]:
        return [plan for plan in self.instances if plan.can_move]


@dataclass(frozen=True)
class MigrationOutcome:
    instance_id: str
    moved: bool
    message: str = ""
    code: str = ""  # the error code when it did not move: conflict | not_found | validation_failed


@dataclass(frozen=True)
class MigrationResult:
    from_version: int
    to_version: int
    mapping: dict[str, str]
    outcomes: list[MigrationOutcome]

    @property
    def moved(self) -> list[str]:
        return [o.instance_id for o in self.outcomes if o.moved]

    @property
    def failed(self) -> list[MigrationOutcome]:
        return [o for o in self.outcomes if not o.moved]


def _versions(uow: UnitOfWork, key: str, from_version: int,
              to_version: int) -> tuple[ProcessDefinition, ProcessDefinition, ModelPair]:
    if from_version == to_version:
        raise ValidationFailed("choose two different versions", {"to": "must differ from the current version"})
    old, new = definition_version(uow, key, from_version), definition_version(uow, key, to_version)
    return old, new, ModelPair(old.spec_json, new.spec_json)


def effective_mapping(pair: ModelPair, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """The renames to apply: the suggested ones when `mapping` is None, else `mapping` itself (empty values
    and identities dropped), every id checked against the two versions."""
    if mapping is None:
        return pair.suggest_mapping()
    cleaned: dict[str, str] = {}
    problems: dict[str, str] = {}
    for raw_old, raw_new in mapping.items():
        old, new = str(raw_old).strip(), str(raw_new or "").strip()
        if not new or old == new:
            continue
        if old not in pair.old_elements:
            problems[f"mapping.{old}"] = f"{old} is not an element of the current version"
        elif new not in pair.new_elements:
            problems[f"mapping.{old}"] = f"{new} is not an element of the target version"
        else:
            cleaned[old] = new
    if problems:
        raise ValidationFailed("the mapping names elements that do not exist", problems)
    return cleaned


def describe(reason: Reason, version: int, names: Mapping[str, str]) -> ReasonView:
    def label(element: str | None) -> str:
        name = names.get(element or "")
        return f"{element} ({name})" if name else str(element)

    text = REASON_TEXTS.get(reason.code, "{element}: {other}")
    message = text.format(element=label(reason.element), other=label(reason.other) if reason.code != "not_rebound"
                          else reason.other, version=version)
    if reason.code in ("missing", "missing_event") and reason.other:
        message += RENAME_HINT.format(other=label(reason.other))
    return ReasonView(reason.code, reason.element, reason.other, message)


def _open_incidents(uow: UnitOfWork, instance_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not instance_ids:
        return {}
    rows = uow.session.execute(select(Incident.instance_id, Incident.element_id).where(
        Incident.instance_id.in_(instance_ids), Incident.resolved_at.is_(None)))
    return {instance_id: element for instance_id, element in rows}


def _activity(task: ActiveTask) -> ActivityView:
    return ActivityView(task.element_id, task.name, task.kind, task.state, task.target, task.inside)


def plan_migration(
    uow: UnitOfWork, ctx: EngineContext, key: str, from_version: int, to_version: int,
    mapping: Mapping[str, str] | None = None, *, limit: int = MAX_INSTANCES,
) -> MigrationPlan:
    """Dry run: can each running or suspended instance of `from_version` move to `to_version`, and if not, why.

    `mapping` (old element id -> new element id) names renamed activities; None applies the suggested
    mapping. Nothing is changed. Raises NotFound (no such version) or ValidationFailed (bad mapping).
    """
    old, _new, pair = _versions(uow, key, from_version, to_version)
    renames = effective_mapping(pair, mapping)
    names = {**{e.element_id: e.name for e in pair.old_elements.values()},
             **{e.element_id: e.name for e in pair.new_elements.values()}}
    instances = list(uow.session.scalars(
        select(ProcessInstance).where(ProcessInstance.definition_id == old.id,
                                      ProcessInstance.status.in_(MOVABLE_STATUSES))
        .order_by(ProcessInstance.created_at, ProcessInstance.id).limit(min(max(limit, 1), MAX_INSTANCES))))
    incidents = _open_incidents(uow, [instance.id for instance in instances])
    plans = []
    for instance in instances:
        outcome = pair.rebind(instance.state, renames)
        reasons = list(outcome.reasons)
        if instance.id in incidents and not any(r.code == "failed" for r in reasons):
            reasons.append(Reason("incident", incidents[instance.id]))
        plans.append(InstancePlan(
            instance_id=str(instance.id), business_key=instance.business_key, status=instance.status,
            row_version=instance.version, activities=[_activity(task) for task in outcome.active],
            reasons=[describe(reason, to_version, names) for reason in reasons]))
    return MigrationPlan(
        key=key, from_version=from_version, to_version=to_version, mapping=renames,
        suggested_mapping=pair.suggest_mapping(),
        removed=[e for k, e in sorted(pair.old_elements.items()) if k not in pair.new_elements],
        added=[e for k, e in sorted(pair.new_elements.items()) if k not in pair.old_elements],
        new_elements=sorted(pair.new_elements.values(), key=lambda e: e.element_id), instances=plans)


def migrate_instances(
    uow: UnitOfWork, ctx: EngineContext, key: str, from_version: int, to_version: int,
    instance_ids: Sequence[str | uuid.UUID], mapping: Mapping[str, str] | None, actor: str | None, *,
    expected_versions: Mapping[str, int] | None = None,
) -> MigrationResult:
    """Move the given instances of `key` from `from_version` to `to_version`, each atomically in a savepoint.

    `expected_versions` (instance id -> row version, as `plan_migration` reported it) makes the move refuse
    an instance that changed since the dry run. The caller commits.
    """
    old, new, pair = _versions(uow, key, from_version, to_version)
    renames = effective_mapping(pair, mapping)
    ids = list(dict.fromkeys(str(instance_id) for instance_id in instance_ids))
    if len(ids) > MAX_INSTANCES:
        raise ValidationFailed(f"at most {MAX_INSTANCES} instances at once", {"instances": "too many"})

    def move(instance_id: str) -> None:
        expected = (expected_versions or {}).get(instance_id)
        _migrate_one(uow, ctx, pair, old, new, instance_id, renames, actor, expected)

    # the guard covers the savepoint's commit too: an autoflush may meet the concurrent change first
    moved = each_in_savepoint(uow, ids, move, guard=concurrent_changes_as_conflict)
    outcomes = [MigrationOutcome(instance_id, True) if error is None
                else MigrationOutcome(instance_id, False, error.message, error.code) for instance_id, error in moved]
    return MigrationResult(from_version, to_version, renames, outcomes)


def _migrate_one(
    uow: UnitOfWork, ctx: EngineContext, pair: ModelPair, old: ProcessDefinition, new: ProcessDefinition,
    instance_id: str, mapping: dict[str, str], actor: str | None, expected_version: int | None,
) -> None:
    session = uow.session
    instance = session.get(ProcessInstance, parse_uuid(instance_id, "process instance"))
    if instance is None or instance.process_key != old.key:
        raise NotFound(f"process instance {instance_id} of {old.key!r} not found")
    if instance.definition_id != old.id:
        raise Conflict(f"process instance {instance_id} is not at version {old.version}")
    if instance.status not in MOVABLE_STATUSES:
        raise Conflict(f"process instance {instance_id} is {instance.status}")
    if expected_version is not None and instance.version != expected_version:
        raise Conflict(f"process instance {instance_id} changed since the dry run; check it again")
    outcome = pair.rebind(instance.state, mapping)
    reasons = list(outcome.reasons)
    incidents = _open_incidents(uow, [instance.id])
    if instance.id in incidents and not reasons:
        reasons.append(Reason("incident", incidents[instance.id]))
    if reasons or outcome.rebound is None:
        names = {e.element_id: e.name for e in [*pair.old_elements.values(), *pair.new_elements.values()]}
        messages = [describe(reason, new.version, names).message for reason in reasons]
        raise Conflict(f"process instance {instance_id} cannot move: " + "; ".join(messages),
                       {"reasons": [reason.code for reason in reasons]})
    now = ctx.clock.now()
    rebound = outcome.rebound
    instance.state = rebound.state_json
    instance.definition_id = new.id
    instance.serializer_version = SERIALIZER_VERSION
    instance.updated_at = now
    moved_tasks = _rebind_human_tasks(uow, ctx, instance, new, rebound)
    _rebind_jobs(uow, instance, rebound, now)
    _rebind_subscriptions(uow, instance, rebound, now)
    moves = {task.element_id: task.target for task in outcome.active if task.target != task.element_id}
    record_event(session, instance.id, "migrated", now, actor=actor, payload={
        "from_version": old.version, "to_version": new.version, "mapping": dict(mapping), "moved": moves,
        "tasks": moved_tasks, "comment": f"{old.version} → {new.version}"})
    uow.flush()  # the instance row's version check: a concurrent change is a Conflict here
    moved_id = instance.id
    ctx.runtime.forget(moved_id)
    uow.after_commit(lambda: ctx.runtime.forget(moved_id))


def _rebind_human_tasks(uow: UnitOfWork, ctx: EngineContext, instance: ProcessInstance, new: ProcessDefinition,
                        rebound: Rebound) -> list[str]:
    """Open task rows take element, name, candidate groups and form from the new version; assignee, dates,
    priority and claims stay. Returns the element ids of the tasks."""
    ready = {task.task_id: task for task in rebound.ready_user_tasks}
    rows = list(uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                            HumanTask.status == "open")))
    case = CaseColumns.of(instance.business_key, new.name, new.search_fields or [], instance.data or {})
    for row in rows:
        task = ready.get(row.id)
        if task is None:
            raise Conflict(f"open task {row.id} ({row.element_id}) is not waiting in the re-bound instance")
        meta: dict[str, Any] = new.user_tasks.get(task.element_id, {})
        row.definition_id = new.id
        row.element_id = task.element_id
        row.name = meta.get("name") or task.name
        row.candidate_groups = taskmeta.resolve_groups(meta.get("candidate_groups"), task.data, ctx.runtime.evaluate)
        row.form_key = meta.get("form_key")
        row.form_schema = meta.get("form_schema")
        case.apply_to(row)
        taskindex.rewrite_entries(uow.session, row)
    return sorted(row.element_id for row in rows)


def _rebind_jobs(uow: UnitOfWork, instance: ProcessInstance, rebound: Rebound, now: Any) -> None:
    """Timer and service jobs follow their tasks to the new elements; a timer keeps its due moment."""
    wanted: dict[uuid.UUID, tuple[str, str, str | None, Any]] = {}
    for timer in rebound.waits.timers:
        wanted[timer.task_id] = ("timer", timer.element_id, None, timer.due_at)
    for call in rebound.waits.service_calls:
        wanted[call.task_id] = ("service", call.element_id, call.handler, now)
    held = instance.status == "suspended"
    existing = {job.task_id: job for job in uow.session.scalars(select(Job).where(Job.instance_id == instance.id))}
    for task_id, stale in existing.items():
        if task_id not in wanted:
            uow.session.delete(stale)
    for task_id, (kind, element_id, handler, due_at) in wanted.items():
        job = existing.get(task_id)
        if job is None:
            uow.session.add(Job(id=uuid.uuid4(), kind=kind, instance_id=instance.id, task_id=task_id,
                                element_id=element_id, handler=handler, due_at=due_at, attempts=0,
                                max_attempts=DEFAULT_MAX_ATTEMPTS, held=held, created_at=now))
        else:
            job.element_id = element_id
            if kind == "service":
                job.handler = handler


def _rebind_subscriptions(uow: UnitOfWork, instance: ProcessInstance, rebound: Rebound, now: Any) -> None:
    """Message subscriptions follow their tasks to the new elements (and message names)."""
    wanted = {wait.task_id: wait for wait in rebound.waits.messages}
    existing = {row.task_id: row for row in uow.session.scalars(
        select(MessageSubscription).where(MessageSubscription.instance_id == instance.id))}
    for task_id, stale in existing.items():
        if task_id not in wanted:
            uow.session.delete(stale)
    for task_id, wait in wanted.items():
        row = existing.get(task_id)
        if row is None:
            uow.session.add(MessageSubscription(task_id=task_id, instance_id=instance.id, element_id=wait.element_id,
                                                message_name=wait.name, created_at=now))
        else:
            row.element_id, row.message_name = wait.element_id, wait.name
