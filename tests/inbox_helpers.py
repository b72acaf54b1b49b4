"""A procedure for inbox tests and small helpers around the inbox services.

`inbox_case` declares search fields, takes assignee, candidate groups, due and follow-up dates from its
start data, and runs two user tasks in parallel ("Antrag bearbeiten" for the given groups, "Unterlagen
prüfen" for group `review`), so completing one changes the case data the other one shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.bootstrap import Services
from engine.actors import TaskActor
from engine.deploy import deploy
from engine.inbox import InboxPage, InboxQuery, inbox
from engine.workflow.parsing import SourceFile
from tests.helpers import start

INBOX_CASE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_inbox_case" targetNamespace="http://akte.example/bpmn">
  <bpmn:process id="inbox_case" name="F\xc3\xbchrerscheinumtausch" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="searchFields" value="licence_class, amount" />
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork" />
    <bpmn:parallelGateway id="fork" />
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="work" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="check" />
    <bpmn:userTask id="work" name="Antrag bearbeiten">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="assignee" value="=clerk" />
          <spiffworkflow:property name="candidateGroups" value="=groups" />
          <spiffworkflow:property name="dueDate" value="=due" />
          <spiffworkflow:property name="followUpDate" value="=follow_up" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="check" name="Unterlagen pr\xc3\xbcfen">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="candidateGroups" value="review" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="join" />
    <bpmn:sequenceFlow id="f5" sourceRef="check" targetRef="join" />
    <bpmn:parallelGateway id="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy_inbox_case(services: Services) -> None:
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, [SourceFile("inbox_case.bpmn", INBOX_CASE)])
        uow.commit()


def start_case(services: Services, *, groups: str | list[str] = "clerks", clerk: str | None = None,
               reference: str | None = None, **data: Any) -> dict[str, str]:
    """Start an inbox_case; returns the ids of its two tasks by element id ("work", "check")."""
    values: dict[str, Any] = {"groups": groups, **data}
    if clerk is not None:
        values["clerk"] = clerk
    view = start(services, "inbox_case", values, business_key=reference)
    return {task.element_id: task.id for task in view.open_tasks}


def actor(name: str, *groups: str, substitutes_for: tuple[str, ...] = (), admin: bool = False) -> TaskActor:
    return TaskActor(name=name, groups=frozenset(groups), substitutes_for=frozenset(substitutes_for),
                     is_admin=admin)


def page(services: Services, who: TaskActor, view: str = "mine", *, now: datetime | None = None,
         **options: Any) -> InboxPage:
    query = InboxQuery(view=view, now=now or services.clock.now(), **options)  # type: ignore[arg-type]
    with services.db.unit_of_work() as uow:
        return inbox(uow, who, query)


def ids(result: InboxPage) -> list[str]:
    return [row.id for row in result.rows]
