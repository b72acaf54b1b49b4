"""Deploy-time warnings about models that run but are probably not what the designer meant (`lint_models`).

Warnings never block a deployment; they are listed in the validation report beside the errors:
- a user task nobody is offered: no candidate group, no lane and no assignee;
- an element no path of sequence flows reaches from a start event (boundary events count as reached when
  their host is, event sub-processes and compensation handlers when their scope is, link catch events when a
  link throw event of the same name is);
- a timer without a reminder: an interrupting timer boundary event (a deadline that ends the waiting) on a
  user or receive task that has no non-interrupting timer boundary event (a reminder or escalation before it).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping

from lxml import etree

from engine.workflow.model_types import UserTaskMeta
from engine.workflow.problems import ProblemList
from engine.workflow.sources import Document
from engine.workflow.xmlutil import BPMN_NS, bpmn_elements, local

SCOPES = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
FLOW_NODES = frozenset({
    "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask", "manualTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "inclusiveGateway",
    "parallelGateway", "eventBasedGateway", "complexGateway",
})
WAITING_HOSTS = frozenset({"userTask", "receiveTask"})
WARNING = "warning"


def lint_models(
    documents: Iterable[Document], user_tasks: Mapping[str, Mapping[str, UserTaskMeta]], problems: ProblemList
) -> None:
    """Add the warnings above for every uploaded BPMN document (deployed ones pulled in by reference are not
    the designer's upload, so they are not linted again)."""
    for document in documents:
        if not document.uploaded:
            continue
        for process in bpmn_elements(document.root, "process"):
            ids = _ids(process)
            _unassigned_user_tasks(document.name, ids, user_tasks.get(process.get("id", ""), {}), problems)
            for element in unreachable(process):
                problems.at(document.name, element, f"{_kind(element)} is not reachable from any start event "
                            "(no path of sequence flows leads to it)", WARNING)
            for timer, host in timers_without_reminder(process):
                problems.at(document.name, timer, f"the timer ends the waiting at {_name(host)!r} with no reminder "
                            "or escalation modelled before it (no non-interrupting timer boundary event)", WARNING)


def _ids(process: etree._Element) -> dict[str, etree._Element]:
    return {str(el.get("id")): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}


def _unassigned_user_tasks(file: str, ids: Mapping[str, etree._Element], metas: Mapping[str, UserTaskMeta],
                           problems: ProblemList) -> None:
    for element_id, meta in metas.items():
        element = ids.get(element_id)
        if element is not None and not meta.candidate_groups and not meta.assignee:
            problems.at(file, element, "user task has no candidate group, lane or assignee: it appears in nobody's "
                        "inbox", WARNING)


def _kind(element: etree._Element) -> str:
    name = local(element)
    return f"{name} {_name(element)!r}" if element.get("name") else name


def _name(element: etree._Element) -> str:
    return " ".join((element.get("name") or element.get("id") or "").split())


def _event_kinds(event: etree._Element) -> set[str]:
    return {local(child) for child in event if isinstance(child.tag, str) and local(child).endswith("EventDefinition")}


def _link_name(event: etree._Element) -> str | None:
    found = event.find(f"{{{BPMN_NS}}}linkEventDefinition")
    if found is None:
        return None
    return (found.get("name") or "").strip() or None


def _flow_nodes(scope: etree._Element) -> list[etree._Element]:
    return [child for child in scope if isinstance(child.tag, str) and local(child) in FLOW_NODES and child.get("id")]


def _scope_edges(scope: etree._Element, edges: dict[str, list[str]]) -> None:
    """Edges of one scope (and, recursively, of the scopes inside it) into `edges`: scope → its entry points,
    sequence flows, host → boundary event, link throw → link catch of the same name."""
    scope_id = str(scope.get("id", ""))
    nodes = _flow_nodes(scope)
    flows = [child for child in scope if isinstance(child.tag, str) and local(child) == "sequenceFlow"]
    targets = {flow.get("targetRef") for flow in flows}
    starts = [node for node in nodes if local(node) == "startEvent"]
    if local(scope) == "adHocSubProcess" or not starts:  # activities without incoming flow start by themselves
        starts = [node for node in nodes if node.get("id") not in targets and local(node) != "boundaryEvent"]
    edges[scope_id].extend(str(node.get("id")) for node in starts)
    catches: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        node_id = str(node.get("id"))
        kind = local(node)
        if kind == "boundaryEvent" and node.get("attachedToRef"):
            edges[str(node.get("attachedToRef"))].append(node_id)
        if node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true":
            edges[scope_id].append(node_id)
        if kind == "intermediateCatchEvent" and _link_name(node):
            catches[str(_link_name(node))].append(node_id)
        if kind in SCOPES:
            _scope_edges(node, edges)
    for node in nodes:
        if local(node) == "intermediateThrowEvent" and _link_name(node):
            edges[str(node.get("id"))].extend(catches.get(str(_link_name(node)), []))
    for flow in flows:
        if flow.get("sourceRef") and flow.get("targetRef"):
            edges[str(flow.get("sourceRef"))].append(str(flow.get("targetRef")))


def unreachable(process: etree._Element) -> list[etree._Element]:
    """Flow nodes of `process` no start event leads to; inside an unreachable sub-process only the sub-process
    itself is reported."""
    edges: dict[str, list[str]] = defaultdict(list)
    _scope_edges(process, edges)
    seen = {str(process.get("id", ""))}
    todo = deque(seen)
    while todo:
        for target in edges.get(todo.popleft(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    found = []
    for scope in [process, *(el for el in process.iter() if isinstance(el.tag, str) and local(el) in SCOPES)]:
        if scope.get("id") in seen:
            found += [node for node in _flow_nodes(scope) if node.get("id") not in seen]
    return found


def timers_without_reminder(process: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    """(interrupting timer boundary event, its host) for user and receive tasks without a non-interrupting timer."""
    hosts = {str(el.get("id")): el for el in process.iter(*(f"{{{BPMN_NS}}}{kind}" for kind in WAITING_HOSTS))}
    timers: dict[str, list[etree._Element]] = defaultdict(list)
    for event in bpmn_elements(process, "boundaryEvent"):
        if "timerEventDefinition" in _event_kinds(event) and event.get("attachedToRef") in hosts:
            timers[str(event.get("attachedToRef"))].append(event)
    found = []
    for host_id, events in timers.items():
        if any(event.get("cancelActivity") == "false" for event in events):
            continue  # a reminder (or escalation) comes before the deadline
        found += [(event, hosts[host_id]) for event in events]
    return found
