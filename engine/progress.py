"""Load a running instance's workflow and save what happened to it: the shared steps of every service
that moves an instance on (task completion, timers, service calls, messages, retries, cancellation).

Saving also delivers buffered messages the instance now waits for, so a message that arrived early is
handed over in the same transaction that reaches its catch event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import NotFound
from engine.context import EngineContext
from engine.models import BufferedMessage, MessageSubscription, ProcessDefinition, ProcessInstance
from engine.persistence import apply_snapshot, record_event
from engine.workflow.runtime import LiveWorkflow, Snapshot


@dataclass
class Loaded:
    instance: ProcessInstance
    definition: ProcessDefinition
    live: LiveWorkflow


def load(uow: UnitOfWork, ctx: EngineContext, instance: ProcessInstance) -> Loaded:
    definition = uow.session.get(ProcessDefinition, instance.definition_id)
    if definition is None:
        raise NotFound(f"process definition {instance.definition_id} not found")
    live = ctx.runtime.load(instance.id, instance.version, definition.id, lambda: definition.spec_json,
                            instance.state)
    return Loaded(instance=instance, definition=definition, live=live)


def save(uow: UnitOfWork, ctx: EngineContext, loaded: Loaded, snapshot: Snapshot, now: datetime,
         actor: str | None) -> None:
    """Apply `snapshot` to the rows, deliver due buffered messages, keep the workflow cached after commit."""
    previous = loaded.live.committed_waits
    apply_snapshot(uow.session, loaded.instance, loaded.definition, snapshot, now, actor, ctx.runtime.evaluate,
                   previous)
    uow.flush()
    while snapshot.waits.messages and (delivered := _deliver_buffered(uow, ctx, loaded, now)) is not None:
        apply_snapshot(uow.session, loaded.instance, loaded.definition, delivered, now, actor, ctx.runtime.evaluate)
        uow.flush()
        snapshot = delivered
    instance_id, row_version, live, waits = loaded.instance.id, loaded.instance.version, loaded.live, snapshot.waits
    uow.after_commit(lambda: ctx.runtime.remember(instance_id, row_version, live, waits))


def _deliver_buffered(uow: UnitOfWork, ctx: EngineContext, loaded: Loaded, now: datetime) -> Snapshot | None:
    """Hand the oldest unexpired buffered message the instance now waits for to its catch event."""
    session = uow.session
    row = session.execute(
        select(BufferedMessage, MessageSubscription)
        .join(MessageSubscription, (MessageSubscription.instance_id == BufferedMessage.instance_id)
              & (MessageSubscription.message_name == BufferedMessage.message_name))
        .where(BufferedMessage.instance_id == loaded.instance.id, BufferedMessage.expires_at >= now)
        .order_by(BufferedMessage.id).limit(1)
    ).first()
    if row is None:
        return None
    message, subscription = row
    payload: dict[str, Any] = dict(message.payload)
    session.delete(message)
    record_event(session, loaded.instance.id, "message_received", now, element_id=subscription.element_id,
                 task_id=subscription.task_id, payload={"message": message.message_name, "buffered": True,
                                                        "data": payload})
    return ctx.runtime.deliver_message(loaded.live, subscription.task_id, payload, now)
