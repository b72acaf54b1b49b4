"""Camunda Modeler (camunda:) extensions mapped onto the Spiff dialect before Spiff parses the tree.

Honoured attributes and extension elements are rewritten into `spiffworkflow:` equivalents (service task
operators, called decision ids, pre/post scripts, message payloads, multi-instance data refs); harmless
engine hints are ignored; everything else is refused with a problem, so no Camunda semantics are lost
silently. User-task metadata (assignee, groups, dates, forms) is read separately in `usertasks`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from engine.workflow.camunda_rules import MAP_RESULTS, decision_ref, result_script
from engine.workflow.dmn import DecisionInfo
from engine.workflow.expressions import ExpressionError, is_juel, juel_to_python
from engine.workflow.problems import ProblemList
from engine.workflow.xmlutil import (
    BPMN_NS,
    CAMUNDA_NS,
    SPIFF_NS,
    append_script,
    camunda_attr,
    extension_children,
    local,
    namespace,
    normalize_activiti,
    set_spiff_extension,
    spiff_extension,
)

# attribute -> element local names where akte honours it (read here or in usertasks)
HONOURED: dict[str, frozenset[str]] = {
    "assignee": frozenset({"userTask"}),
    "candidateGroups": frozenset({"userTask"}),
    "dueDate": frozenset({"userTask"}),
    "followUpDate": frozenset({"userTask"}),
    "priority": frozenset({"userTask"}),
    "formKey": frozenset({"userTask", "startEvent"}),
    "formRef": frozenset({"userTask", "startEvent"}),
    "initiator": frozenset({"startEvent"}),
    "type": frozenset({"serviceTask"}),
    "topic": frozenset({"serviceTask"}),
    "class": frozenset({"serviceTask"}),
    "delegateExpression": frozenset({"serviceTask"}),
    "expression": frozenset({"serviceTask", "messageEventDefinition"}),
    "resultVariable": frozenset({"serviceTask", "businessRuleTask", "messageEventDefinition"}),
    "decisionRef": frozenset({"businessRuleTask"}),
    "mapDecisionResult": frozenset({"businessRuleTask"}),
    "collection": frozenset({"multiInstanceLoopCharacteristics"}),
    "elementVariable": frozenset({"multiInstanceLoopCharacteristics"}),
}
# engine hints without meaning for akte (job executor, history, versions, modeler templates)
IGNORED = frozenset(
    {
        "async",
        "asyncBefore",
        "asyncAfter",
        "exclusive",
        "jobPriority",
        "taskPriority",
        "historyTimeToLive",
        "versionTag",
        "isStartableInTasklist",
        "candidateStarterGroups",
        "candidateStarterUsers",
        "modelerTemplate",
        "modelerTemplateVersion",
        "errorMessage",
        "calledElementBinding",
        "calledElementVersion",
        "calledElementVersionTag",
        "calledElementTenantId",
        "decisionRefBinding",
        "decisionRefVersion",
        "decisionRefVersionTag",
        "decisionRefTenantId",
        "formFieldValidation",
        "formHandlerClass",
    }
)
EXTENSION_ELEMENTS: dict[str, frozenset[str]] = {
    "formData": frozenset({"userTask", "startEvent"}),
    "inputOutput": frozenset(
        {
            "task",
            "userTask",
            "manualTask",
            "serviceTask",
            "scriptTask",
            "sendTask",
            "receiveTask",
            "businessRuleTask",
            "callActivity",
            "subProcess",
        }
    ),
    "in": frozenset({"callActivity"}),
    "out": frozenset({"callActivity"}),
    "field": frozenset({"serviceTask"}),
    "properties": frozenset(),  # anywhere; ignored
    "failedJobRetryTimeCycle": frozenset(),  # anywhere; ignored
}
_ANYWHERE = frozenset({"properties", "failedJobRetryTimeCycle"})
_BEAN = re.compile(r"^\s*[$#]\{\s*([A-Za-z][\w.]*)\s*\}\s*$")


def python_value(text: str) -> str:
    """A camunda parameter value as a Python expression: `${...}` translated, plain text a string."""
    return juel_to_python(text) if is_juel(text) else repr(text)


class CamundaMapper:
    def __init__(
        self, file: str, root: etree._Element, decisions: Mapping[str, DecisionInfo], problems: ProblemList
    ) -> None:
        self.file = file
        self.root = root
        self.decisions = decisions
        self.problems = problems

    def fail(self, element: etree._Element, message: str, severity: str = "error") -> None:
        self.problems.at(self.file, element, message, severity)

    def apply(self) -> None:
        for element in list(self.root.iter()):
            if namespace(element) != BPMN_NS:
                continue
            self.check_attributes(element)
            self.check_extension_elements(element)
            handler = getattr(self, f"map_{local(element)}", None)
            if handler is not None:
                handler(element)

    # -- generic checks
    def check_attributes(self, element: etree._Element) -> None:
        for name in element.attrib:
            qname = etree.QName(name)
            if qname.namespace != CAMUNDA_NS or qname.localname in IGNORED:
                continue
            if local(element) not in HONOURED.get(qname.localname, frozenset()):
                self.fail(element, f"camunda:{qname.localname} on {local(element)} is not supported by akte")

    def check_extension_elements(self, element: etree._Element) -> None:
        for child in extension_children(element, CAMUNDA_NS):
            name = local(child)
            if name in _ANYWHERE:
                continue
            if name in ("taskListener", "executionListener"):
                self.fail(element, f"camunda:{name} is not supported (listeners would not run)")
            elif local(element) not in EXTENSION_ELEMENTS.get(name, frozenset()):
                self.fail(element, f"camunda:{name} on {local(element)} is not supported by akte")
            elif name == "inputOutput" and local(element) != "serviceTask":
                self.map_input_output(element, child)

    # -- input/output mappings
    def _parameter_value(self, owner: etree._Element, parameter: etree._Element) -> str | None:
        if any(isinstance(c.tag, str) for c in parameter):
            self.fail(
                owner,
                f"camunda parameter {parameter.get('name')!r}: only text or ${{...}} values "
                "are supported (not scripts, lists or maps)",
            )
            return None
        try:
            return python_value((parameter.text or "").strip())
        except ExpressionError as exc:
            self.fail(owner, f"camunda parameter {parameter.get('name')!r}: {exc}")
            return None

    def _assignment(self, owner: etree._Element, parameter: etree._Element) -> str | None:
        name = parameter.get("name", "")
        if not name.isidentifier() or name.startswith("_"):
            self.fail(owner, f"camunda parameter name {name!r} is not a valid variable name")
            return None
        value = self._parameter_value(owner, parameter)
        return None if value is None else f"{name} = {value}"

    def map_input_output(self, element: etree._Element, mapping: etree._Element) -> None:
        for parameter in mapping:
            kind = local(parameter)
            line = self._assignment(element, parameter)
            if line is not None:
                append_script(element, "preScript" if kind == "inputParameter" else "postScript", line)

    # -- service tasks
    def _handler_name(self, task: etree._Element) -> str | None:
        kind, topic = camunda_attr(task, "type"), camunda_attr(task, "topic")
        if kind is not None:
            if kind != "external" or not topic:
                self.fail(
                    task,
                    f'camunda:type={kind!r} is not supported; use camunda:type="external" '
                    "with camunda:topic naming a registered handler",
                )
                return None
            return topic
        if camunda_attr(task, "class"):
            return camunda_attr(task, "class")
        for attr in ("delegateExpression", "expression"):
            value = camunda_attr(task, attr)
            if value is None:
                continue
            match = _BEAN.match(value)
            if match is None:
                self.fail(
                    task,
                    f"camunda:{attr}={value!r} cannot be mapped to a handler: only ${{beanName}} "
                    'is supported (or use camunda:type="external" with camunda:topic)',
                )
                return None
            return match.group(1)
        return None

    def map_serviceTask(self, task: etree._Element) -> None:
        handler = self._handler_name(task)
        if handler is None:
            return
        if spiff_extension(task, "serviceTaskOperator") is not None:
            self.fail(task, "service task has both a spiffworkflow:serviceTaskOperator and a camunda handler")
            return
        operator = set_spiff_extension(task, "serviceTaskOperator")
        operator.set("id", handler)
        if camunda_attr(task, "resultVariable"):
            operator.set("resultVariable", camunda_attr(task, "resultVariable") or "")
        parameters = etree.SubElement(operator, f"{{{SPIFF_NS}}}parameters")
        for name, value in self._service_parameters(task):
            etree.SubElement(parameters, f"{{{SPIFF_NS}}}parameter", id=name, type="any", value=value)

    def _service_parameters(self, task: etree._Element) -> list[tuple[str, str]]:
        result = []
        for mapping in extension_children(task, CAMUNDA_NS, "inputOutput"):
            for parameter in mapping:
                if local(parameter) == "outputParameter":
                    line = self._assignment(task, parameter)
                    if line is not None:
                        append_script(task, "postScript", line)
                    continue
                value = self._parameter_value(task, parameter)
                if value is not None:
                    result.append((parameter.get("name", ""), value))
        for field in extension_children(task, CAMUNDA_NS, "field"):
            value = self._field_value(task, field)
            if value is not None:
                result.append((field.get("name", ""), value))
        return result

    def _field_value(self, task: etree._Element, field: etree._Element) -> str | None:
        if field.get("stringValue") is not None:
            return repr(field.get("stringValue"))
        if field.get("expression") is not None:
            text = field.get("expression", "")
        else:
            inner = [c for c in field if isinstance(c.tag, str)]
            if len(inner) != 1 or local(inner[0]) not in ("string", "expression"):
                self.fail(task, f"camunda:field {field.get('name')!r} has no value")
                return None
            if local(inner[0]) == "string":
                return repr((inner[0].text or "").strip())
            text = inner[0].text or ""
        try:
            return python_value(text.strip())
        except ExpressionError as exc:
            self.fail(task, f"camunda:field {field.get('name')!r}: {exc}")
            return None

    # -- business rule tasks
    def map_businessRuleTask(self, task: etree._Element) -> None:
        ref = camunda_attr(task, "decisionRef")
        if ref and spiff_extension(task, "calledDecisionId") is None:
            set_spiff_extension(task, "calledDecisionId", ref)
        variable = camunda_attr(task, "resultVariable")
        if variable is None:
            return
        decision = self.decisions.get(decision_ref(task) or "")
        if decision is None:
            return  # the missing decision is reported by the reference check
        mode = camunda_attr(task, "mapDecisionResult") or "resultList"
        script = result_script(variable, mode, decision)
        if script is None:
            self.fail(
                task,
                f"camunda:mapDecisionResult={mode!r} with camunda:resultVariable is not supported "
                f"for decision {decision.decision_id} ({len(decision.outputs)} outputs, "
                f"{decision.hit_policy}); supported: {', '.join(MAP_RESULTS)}",
            )
            return
        append_script(task, "postScript", script)

    # -- call activities, multi-instance, messages
    def map_callActivity(self, task: etree._Element) -> None:
        for mapping in extension_children(task, CAMUNDA_NS):
            if local(mapping) not in ("in", "out"):
                continue
            same = mapping.get("source") is not None and mapping.get("source") == mapping.get("target")
            if not (mapping.get("variables") == "all" or same) or mapping.get("local") == "true":
                self.fail(
                    task,
                    f'camunda:{local(mapping)}: only variables="all" or source=target mappings are '
                    "supported (called processes receive and return all variables)",
                )

    def map_multiInstanceLoopCharacteristics(self, loop: etree._Element) -> None:
        collection, item = camunda_attr(loop, "collection"), camunda_attr(loop, "elementVariable")
        if collection is None:
            return
        name = collection
        if is_juel(collection):
            match = _BEAN.match(collection)
            if match is None or "." in match.group(1):
                self.fail(loop, f"camunda:collection={collection!r}: only ${{variableName}} is supported")
                return
            name = match.group(1)
        _insert_ordered(loop, "loopDataInputRef", name, {})
        if item:
            _insert_ordered(loop, "inputDataItem", None, {"id": item, "name": item})

    def map_messageEventDefinition(self, definition: etree._Element) -> None:
        payload, variable = camunda_attr(definition, "expression"), camunda_attr(definition, "resultVariable")
        if payload:
            try:
                python = juel_to_python(payload) if is_juel(payload) else payload
            except ExpressionError as exc:
                self.fail(definition, f"message payload {payload!r}: {exc}")
                return
            set_spiff_extension(definition, "messagePayload", python)
        if variable:
            set_spiff_extension(definition, "messageVariable", variable)

    def map_startEvent(self, event: etree._Element) -> None:
        for attr in ("formKey", "formRef", "initiator"):
            if camunda_attr(event, attr):
                self.fail(
                    event,
                    f"camunda:{attr} on a start event is ignored (start forms are not supported)",
                    "warning",
                )
        if extension_children(event, CAMUNDA_NS, "formData"):
            self.fail(
                event,
                "camunda:formData on a start event is ignored (start forms are not supported)",
                "warning",
            )


_MI_ORDER = (
    "loopCardinality",
    "loopDataInputRef",
    "loopDataOutputRef",
    "inputDataItem",
    "outputDataItem",
    "complexBehaviorDefinition",
    "completionCondition",
)


def _insert_ordered(parent: etree._Element, name: str, text: str | None, attrib: dict[str, str]) -> None:
    if parent.find(f"{{{BPMN_NS}}}{name}") is not None:
        return
    node = etree.Element(f"{{{BPMN_NS}}}{name}", attrib)
    node.text = text
    later = _MI_ORDER[_MI_ORDER.index(name) + 1 :]
    index = next((i for i, child in enumerate(parent) if local(child) in later), len(parent))
    parent.insert(index, node)


def apply_camunda(
    file: str, root: etree._Element, decisions: Mapping[str, DecisionInfo], problems: ProblemList
) -> None:
    """Rewrite the camunda: dialect of one BPMN document in place, recording problems."""
    normalize_activiti(root)
    CamundaMapper(file, root, decisions, problems).apply()
