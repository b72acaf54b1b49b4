"""Messages: correlate by name plus correlation keys from process data, with an explicit outcome.

* delivered — exactly one waiting instance (or every one with `deliver_to_all`) received it;
* started — no instance waited, but a process has a message start event for it: a new instance of its
  latest version starts (correlation keys and payload become its data) and receives it;
* buffered — a running instance matches but has not reached its catch event yet: the message is kept
  (default 7 days) and handed over when it gets there;
* NotFound — no running instance matches: nothing is changed;
* Conflict — several instances match and `deliver_to_all` was not given: nothing is changed.

Correlation keys are compared with the instance's current process data (as text); the key
`business_key` matches the instance's business key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.sql.elements import ColumnElement

from core.db import UnitOfWork
from core.errors import Conflict, NotFound, ValidationFailed
from engine.context import EngineContext
from engine.instances import start_instance
from engine.models import BufferedMessage, MessageSubscription, ProcessDefinition, ProcessInstance
from engine.persistence import record_event
from engine.progress import load, save


@dataclass(frozen=True)
class MessageResult:
    outcome: str  # delivered | started | buffered
    instance_ids: list[str] = field(default_factory=list)


def _correlation_filter(correlate: dict[str, str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for key, value in correlate.items():
        if key == "business_key":
            conditions.append(ProcessInstance.business_key == value)
        else:
            conditions.append(cast(ProcessInstance.data[key].as_string(), String) == value)
    return conditions


def _describe(name: str, correlate: dict[str, str]) -> str:
    keys = ", ".join(f"{k}={v}" for k, v in sorted(correlate.items()))
    return f"message {name!r}" + (f" with {keys}" if keys else "")


def send_message(
    uow: UnitOfWork, ctx: EngineContext, name: str, correlate: dict[str, str], data: dict[str, Any] | None = None,
    *, deliver_to_all: bool = False, actor: str | None = None,
) -> MessageResult:
    if not name.strip():
        raise ValidationFailed("message name is empty", {"name": "required"})
    payload = dict(data or {})
    filters = _correlation_filter(correlate)
    waiting = uow.session.execute(
        select(MessageSubscription.task_id, MessageSubscription.instance_id)
        .join(ProcessInstance, ProcessInstance.id == MessageSubscription.instance_id)
        .where(MessageSubscription.message_name == name, ProcessInstance.status == "running", *filters)
        .order_by(MessageSubscription.created_at)
    ).all()
    targets: dict[uuid.UUID, uuid.UUID] = {}
    for task_id, instance_id in waiting:
        targets.setdefault(instance_id, task_id)
    if targets:
        _require_unambiguous(len(targets), name, correlate, deliver_to_all)
        for instance_id, task_id in targets.items():
            _deliver(uow, ctx, instance_id, task_id, name, payload, actor)
        return MessageResult("delivered", [str(i) for i in targets])
    started = _start_by_message(uow, ctx, name, {**correlate, **payload}, actor)
    if started:
        return MessageResult("started", started)
    running = list(uow.session.scalars(
        select(ProcessInstance.id).where(ProcessInstance.status == "running", *filters).limit(1000)
    ))
    if not running:
        raise NotFound(f"no instance waits for {_describe(name, correlate)}; nothing was changed")
    _require_unambiguous(len(running), name, correlate, deliver_to_all)
    now = ctx.clock.now()
    for instance_id in running:
        uow.session.add(BufferedMessage(message_name=name, instance_id=instance_id, correlation=dict(correlate),
                                        payload=payload, created_at=now, expires_at=now + ctx.message_buffer))
        record_event(uow.session, instance_id, "message_buffered", now, actor=actor,
                     payload={"message": name, "expires_at": (now + ctx.message_buffer).isoformat()})
    uow.flush()
    return MessageResult("buffered", [str(i) for i in running])


def _start_by_message(uow: UnitOfWork, ctx: EngineContext, name: str, data: dict[str, Any],
                      actor: str | None) -> list[str]:
    """Start the latest version of every process whose start event catches message `name`."""
    latest: dict[str, ProcessDefinition] = {}
    for definition in uow.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version)):
        latest[definition.key] = definition
    started = []
    for definition in latest.values():
        if name not in (definition.message_starts or []):
            continue
        view = start_instance(uow, ctx, definition.key, data, started_by=actor, version=definition.version)
        instance_id = uuid.UUID(view.id)
        subscription = uow.session.scalars(select(MessageSubscription).where(
            MessageSubscription.instance_id == instance_id, MessageSubscription.message_name == name)).first()
        if subscription is not None:
            _deliver(uow, ctx, instance_id, subscription.task_id, name, data, actor)
        started.append(view.id)
    return started


def _require_unambiguous(count: int, name: str, correlate: dict[str, str], deliver_to_all: bool) -> None:
    if count > 1 and not deliver_to_all:
        raise Conflict(f"{_describe(name, correlate)} is ambiguous: {count} instances match; "
                       "add correlation keys or send to all; nothing was changed")


def _deliver(uow: UnitOfWork, ctx: EngineContext, instance_id: uuid.UUID, task_id: uuid.UUID, name: str,
             payload: dict[str, Any], actor: str | None) -> None:
    instance = uow.session.get(ProcessInstance, instance_id)
    assert instance is not None
    now = ctx.clock.now()
    loaded = load(uow, ctx, instance)
    snapshot = ctx.runtime.deliver_message(loaded.live, task_id, payload, now)
    subscription = uow.session.get(MessageSubscription, task_id)
    record_event(uow.session, instance_id, "message_received", now, actor=actor, task_id=task_id,
                 element_id=subscription.element_id if subscription else None,
                 payload={"message": name, "data": payload})
    save(uow, ctx, loaded, snapshot, now, actor)
