"""engine.modeldiff: two BPMN documents compared element by element (by id)."""

from __future__ import annotations

import pytest

from engine.modeldiff import FieldChange, diff_models
from engine.workflow.problems import ModelRejected

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:{prefix}="http://camunda.org/schema/1.0/bpmn" id="Defs" targetNamespace="https://akte.example/t">'
    '<bpmn:process id="p" name="Test" isExecutable="true">'
)
TAIL = (
    "</bpmn:process>"
    '<bpmndi:BPMNDiagram id="D"><bpmndi:BPMNPlane id="P" bpmnElement="p">'
    '<bpmndi:BPMNShape id="S_di" bpmnElement="Start"><dc:Bounds x="{x}" y="100" width="36" height="36"/>'
    "</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>"
)
START = '<bpmn:startEvent id="Start"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>'
TASK = ('<bpmn:userTask id="Task_a" name="{name}" {prefix}:candidateGroups="{groups}" {prefix}:dueDate="P14D">'
        "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>")
END = '<bpmn:endEvent id="End"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>'
FLOWS = ('<bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Task_a"/>'
         '<bpmn:sequenceFlow id="F2" sourceRef="Task_a" targetRef="End">{condition}</bpmn:sequenceFlow>')


def model(*, name: str = "Prüfen", groups: str = "fachamt", extra: str = "", condition: str = "",
          prefix: str = "camunda", x: int = 100, end: bool = True) -> bytes:
    body = (START + TASK.format(name=name, groups=groups, prefix=prefix) + (END if end else "") + extra
            + FLOWS.format(condition=condition))
    return (HEAD.format(prefix=prefix) + body + TAIL.format(x=x)).encode()


def test_the_same_model_has_no_differences() -> None:
    diff = diff_models(model(), model())
    assert diff.is_empty
    assert diff.changes == ()


def test_layout_and_namespace_prefix_are_no_change() -> None:
    assert diff_models(model(x=100), model(x=400, prefix="cam")).is_empty


def test_added_element() -> None:
    diff = diff_models(model(), model(extra='<bpmn:scriptTask id="Script_b" name="Notieren">'
                                              "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>"))
    [change] = diff.changes
    assert (change.element_id, change.kind, change.element_type, change.name) == (
        "Script_b", "added", "scriptTask", "Notieren")
    assert diff.markers("added", "changed") == {"Script_b": "added"}
    assert diff.markers("removed") == {}


def test_removed_element() -> None:
    diff = diff_models(model(), model(end=False))
    assert [(c.element_id, c.kind, c.element_type) for c in diff.changes] == [("End", "removed", "endEvent")]
    assert diff.of_kind("removed")[0].name == ""


def test_renamed_element_is_changed_with_old_and_new_name() -> None:
    diff = diff_models(model(name="Prüfen"), model(name="Antrag prüfen"))
    [change] = diff.changes
    assert change.kind == "changed"
    assert change.name == "Antrag prüfen"
    assert change.fields == (FieldChange("name", "Prüfen", "Antrag prüfen"),)


def test_camunda_attribute_change() -> None:
    diff = diff_models(model(groups="fachamt"), model(groups="fachamt,leitung"))
    [change] = diff.changes
    assert (change.element_id, change.kind) == ("Task_a", "changed")
    assert change.fields == (FieldChange("camunda:candidateGroups", "fachamt", "fachamt,leitung"),)


def test_condition_script_and_flow_changes() -> None:
    condition = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{}</bpmn:conditionExpression>'
    diff = diff_models(model(condition=condition.format("${ok}")), model(condition=condition.format("${not ok}")))
    [change] = diff.changes
    assert change.element_id == "F2"
    assert change.fields == (FieldChange("condition", "${ok}", "${not ok}"),)

    script = '<bpmn:scriptTask id="S" name="s"><bpmn:script>{}</bpmn:script></bpmn:scriptTask>'
    diff = diff_models(model(extra=script.format("x = 1")), model(extra=script.format("x = 2")))
    assert [(c.element_id, c.fields) for c in diff.changes] == [("S", (FieldChange("script", "x = 1", "x = 2"),))]


def test_incoming_outgoing_and_type_changes() -> None:
    before = model()
    after = model().replace(b"<bpmn:userTask", b"<bpmn:manualTask").replace(b"</bpmn:userTask>",
                                                                          b"</bpmn:manualTask>")
    [change] = diff_models(before, after).changes
    assert change.fields[0] == FieldChange("type", "userTask", "manualTask")

    rewired = model().replace(b"<bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>",
                              b"<bpmn:outgoing>F2</bpmn:outgoing><bpmn:outgoing>F3</bpmn:outgoing></bpmn:userTask>")
    [change] = diff_models(before, rewired).changes
    assert change.fields == (FieldChange("outgoing", "F2", "F2, F3"),)


def test_event_definitions_and_extensions_belong_to_their_element() -> None:
    timer = ('<bpmn:intermediateCatchEvent id="Wait"><bpmn:timerEventDefinition id="Timer_def">'
             '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{}</bpmn:timeDuration>'
             "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    diff = diff_models(model(extra=timer.format("P1D")), model(extra=timer.format("P2D")))
    [change] = diff.changes
    assert change.element_id == "Wait"
    assert change.fields[0].field == "timerEventDefinition"
    assert "P1D" in (change.fields[0].before or "") and "P2D" in (change.fields[0].after or "")

    io = ('<bpmn:serviceTask id="Send" camunda:type="external" camunda:topic="akte.letter"><bpmn:extensionElements>'
          '<camunda:inputOutput><camunda:inputParameter name="template">{}</camunda:inputParameter>'
          "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>")
    diff = diff_models(model(extra=io.format("a.html")), model(extra=io.format("b.html")))
    [change] = diff.changes
    assert (change.element_id, change.fields[0].field) == ("Send", "camunda:inputOutput")


def test_several_changes_in_document_order_removed_last() -> None:
    diff = diff_models(model(), model(name="Neu", end=False, extra='<bpmn:task id="T2"/>'))
    assert [(c.element_id, c.kind) for c in diff.changes] == [("Task_a", "changed"), ("T2", "added"),
                                                              ("End", "removed")]
    assert diff.markers("added", "changed") == {"Task_a": "changed", "T2": "added"}


def test_unsafe_or_broken_xml_is_rejected_with_a_problem() -> None:
    with pytest.raises(ModelRejected) as broken:
        diff_models(model(), b"<bpmn:definitions", after_name="v2")
    assert broken.value.problems[0].file == "v2"
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ModelRejected):
        diff_models(hostile, model())
    with pytest.raises(ModelRejected):
        diff_models(model(), model(), max_bytes=100)
