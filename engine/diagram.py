"""What a diagram of a running instance shows: its model, the activities waiting now and those done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import NotFound
from engine.models import HumanTask, InstanceEvent, Job, MessageSubscription, ProcessDefinition, ProcessInstance
from engine.workflow.xmlsafe import load_xml

DONE_EVENTS = ("task_completed", "service_completed", "timer_fired", "message_received", "started", "ended")


@dataclass(frozen=True)
class InstanceDiagram:
    bpmn_xml: bytes
    active: list[str]
    completed: list[str]
    names: dict[str, str] = field(default_factory=dict)  # element id -> its name in the model (named ones only)


def element_names(bpmn_xml: bytes) -> dict[str, str]:
    """Names of the model's named elements by id (the XML was checked and stored at deployment)."""
    if not bpmn_xml:
        return {}
    root = load_xml("model", bpmn_xml, max_bytes=max(len(bpmn_xml), 1))
    return {str(el.get("id")): " ".join(str(el.get("name")).split())
            for el in root.iter() if isinstance(el.tag, str) and el.get("id") and el.get("name")}


def instance_diagram(uow: UnitOfWork, instance_id: uuid.UUID) -> InstanceDiagram:
    """The deployed model of the instance with its active (waiting) and completed element ids."""
    instance = uow.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} not found")
    xml = uow.session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == instance.definition_id))
    active: set[str] = set()
    for query in (select(HumanTask.element_id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open"),
                  select(Job.element_id).where(Job.instance_id == instance_id),
                  select(MessageSubscription.element_id).where(MessageSubscription.instance_id == instance_id)):
        active.update(uow.session.scalars(query))
    completed = {element for element in uow.session.scalars(
        select(InstanceEvent.element_id).where(InstanceEvent.instance_id == instance_id,
                                               InstanceEvent.kind.in_(DONE_EVENTS),
                                               InstanceEvent.element_id.is_not(None))) if element}
    return InstanceDiagram(bpmn_xml=xml or b"", active=sorted(active), completed=sorted(completed - active),
                           names=element_names(xml or b""))
