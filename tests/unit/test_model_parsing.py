"""parse_models: DMN registration and FEEL, Camunda/Spiff user-task metadata, forms, specs and hashes."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.handlers import HandlerRegistry
from engine.workflow.parsing import ModelRejected, ParseResult, SourceFile, parse_models
from engine.workflow.serializer import spec_bundle_from_json

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata"
MAX = 2_000_000


def data_file(kind: str, name: str) -> SourceFile:
    path = TESTDATA / kind / name
    if not path.exists():
        pytest.skip(f"test data {path} not available (expects ../shared/testdata next to the repo)")
    return SourceFile(name, path.read_bytes())


def bpmn(body: str, process_id: str = "p", extra_ns: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {extra_ns}
  id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
{body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def chain(*tasks: str) -> str:
    """A start event, the given task XML snippets (each with id t1, t2, ...), and an end event."""
    ids = ["start"] + [f"t{i}" for i in range(1, len(tasks) + 1)] + ["end"]
    flows = "\n".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(itertools.pairwise(ids))
    )
    return '<bpmn:startEvent id="start"/>\n' + "\n".join(tasks) + '\n<bpmn:endEvent id="end"/>\n' + flows


def parse(*files: SourceFile, handlers: HandlerRegistry | None = None, **kw: Any) -> ParseResult:
    return parse_models(list(files), max_bytes=MAX, handlers=handlers or HandlerRegistry(), **kw)


def run(result: ParseResult, key: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    process = next(p for p in result.processes if p.key == key)
    spec, subs = spec_bundle_from_json(process.spec_json)
    workflow = BpmnWorkflow(spec, subs, script_engine=PythonScriptEngine())
    workflow.get_tasks()[0].data.update(data or {})
    workflow.do_engine_steps()
    assert workflow.completed
    return dict(workflow.data)


def rejected(*files: SourceFile, **kw: Any) -> list[str]:
    with pytest.raises(ModelRejected) as info:
        parse(*files, **kw)
    return [str(p) for p in info.value.problems]


# -- DMN ----------------------------------------------------------------------------------------------
def test_second_decision_of_multi_decision_file_runs() -> None:
    dmn = data_file("dmn", "invoiceBusinessDecisions.dmn")
    task = """<bpmn:businessRuleTask id="t1"><bpmn:extensionElements>
      <spiffworkflow:calledDecisionId>invoice-assign-approver</spiffworkflow:calledDecisionId>
    </bpmn:extensionElements></bpmn:businessRuleTask>"""
    result = parse(dmn, SourceFile("p.bpmn", bpmn(chain(task))))
    assert run(result, "p", {"invoiceClassification": "budget"})["result"] == ["management"]
    assert run(result, "p", {"invoiceClassification": "day-to-day expense"})["result"] == [
        "accounting",
        "sales",
    ]


@pytest.mark.parametrize(
    ("amount", "category", "expected"),
    [
        (100, "Misc", "day-to-day expense"),
        (250, "Misc", "budget"),
        (1000, "Misc", "budget"),
        (1000.5, "Misc", "exceptional"),
        (5000, "Travel Expenses", "day-to-day expense"),
    ],
)
def test_feel_range_and_comparisons_in_first_decision(amount: float, category: str, expected: str) -> None:
    dmn = data_file("dmn", "invoiceBusinessDecisions.dmn")
    task = '<bpmn:businessRuleTask id="t1" camunda:decisionRef="invoiceClassification"/>'
    result = parse(dmn, SourceFile("p.bpmn", bpmn(chain(task))))
    assert (
        run(result, "p", {"amount": amount, "invoiceCategory": category})["invoiceClassification"] == expected
    )


def test_camunda_result_variable_collect_entries() -> None:
    dmn = data_file("dmn", "invoiceBusinessDecisions.dmn")
    task = (
        '<bpmn:businessRuleTask id="t1" camunda:decisionRef="invoice-assign-approver" '
        'camunda:resultVariable="approverGroups" camunda:mapDecisionResult="collectEntries"/>'
    )
    result = parse(dmn, SourceFile("p.bpmn", bpmn(chain(task))))
    assert run(result, "p", {"invoiceClassification": "budget"})["approverGroups"] == ["management"]


def test_decision_resolved_from_previous_deployment() -> None:
    dmn = data_file("dmn", "dinnerDecisions.dmn")
    task = '<bpmn:businessRuleTask id="t1" camunda:decisionRef="dish"/>'
    resolved: list[tuple[str, str]] = []

    def resolve(kind: str, name: str) -> SourceFile | None:
        resolved.append((kind, name))
        return dmn if (kind, name) == ("decision", "dish") else None

    result = parse(SourceFile("p.bpmn", bpmn(chain(task))), resolve=resolve)
    assert resolved == [("decision", "dish")]
    assert run(result, "p", {"season": "Spring", "guestCount": 6})["desiredDish"] == "Steak"


def test_unsupported_feel_names_decision_and_rule() -> None:
    dmn = data_file("dmn", "business_rules.dmn")
    text = dmn.content.replace(b'<text>"A"</text>', b'<text>date("2020-01-01")</text>')
    problems = rejected(SourceFile("x.dmn", text))
    assert len(problems) == 1
    assert problems[0].startswith("x.dmn:20: UnaryTests_1u0ex1a: ")
    assert "decision decision_1: rule 2 (DecisionRule_0fkmbpp)" in problems[0] and "function" in problems[0]


def test_missing_decision_is_named() -> None:
    task = '<bpmn:businessRuleTask id="t1" camunda:decisionRef="nowhere"/>'
    problems = rejected(SourceFile("p.bpmn", bpmn(chain(task))))
    assert any(p.startswith("p.bpmn:") and ": t1: " in p and "nowhere" in p for p in problems)


# -- user tasks ---------------------------------------------------------------------------------------
def test_camunda_user_task_attributes() -> None:
    task = """<bpmn:userTask id="t1" name="Approve&#10;Invoice" camunda:assignee="${starter}"
      camunda:candidateGroups="accounting, ${approverGroup}"
      camunda:dueDate="${dateTime().plusWeeks(1).toDate()}"
      camunda:followUpDate="2030-01-31" camunda:priority="70" camunda:formKey="approve.json">
      <bpmn:documentation>Check the amount.</bpmn:documentation></bpmn:userTask>"""
    form = {"type": "object", "properties": {"approved": {"type": "boolean"}}}
    result = parse(
        SourceFile("p.bpmn", bpmn(chain(task))), SourceFile("approve.json", json.dumps(form).encode())
    )
    meta = result.processes[0].user_tasks["t1"]
    assert (meta.name, meta.assignee, meta.candidate_groups) == (
        "Approve Invoice",
        "=starter",
        ("accounting", "=approverGroup"),
    )
    assert (meta.due_date, meta.follow_up_date, meta.priority) == ("P1W", "2030-01-31", 70)
    assert (meta.form_key, meta.form_schema, meta.instructions) == ("approve.json", form, "Check the amount.")
    assert result.forms == {"approve.json": form}


def test_camunda_files_metadata_review_invoice() -> None:
    result = parse(data_file("bpmn", "reviewInvoice.bpmn"))
    tasks = result.processes[0].user_tasks
    assert tasks["assignReviewer"].assignee == "demo"
    assert tasks["reviewInvoice"].assignee == "=reviewer"
    assert tasks["reviewInvoice"].due_date == "P2D"
    assert tasks["reviewInvoice"].form_key == "embedded:app:forms/review-invoice.html"
    assert tasks["reviewInvoice"].form_schema is None
    assert any("external web form" in w.message for w in result.warnings)


def test_invoice_v2_rejections_name_elements() -> None:
    problems = rejected(data_file("bpmn", "invoice.v2.bpmn"), resolve=lambda kind, name: None)
    joined = "\n".join(problems)
    for expected in (
        "approveInvoice: camunda:taskListener",
        "FinancialAccountingSystem: data stores",
        "ServiceTask_1: service task handler",
        "reviewInvoice: called process 'ReviewInvoice'",
    ):
        assert expected in joined
    assert all(p.split(":")[1] != "0" for p in problems)


def test_spiff_properties_and_lanes() -> None:
    result = parse(data_file("bpmn", "lanes.bpmn"))
    tasks = result.processes[0].user_tasks
    assert tasks["Activity_A1"].lane == "A" and tasks["Activity_A1"].candidate_groups == ("A",)
    assert tasks["Activity_B1"].candidate_groups == ("B",)
    schema = tasks["Activity_B1"].form_schema
    assert schema is not None and schema["properties"]["NeedClarification"]["type"] == "boolean"


def test_spiff_properties_user_task() -> None:
    task = """<bpmn:userTask id="t1"><bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="=initiator"/>
        <spiffworkflow:property name="candidateGroups" value="clerks,heads"/>
        <spiffworkflow:property name="dueDate" value="P14D"/>
        <spiffworkflow:property name="priority" value="3"/>
        <spiffworkflow:property name="formJsonSchemaFilename" value="f.json"/>
        <spiffworkflow:property name="formUiSchemaFilename" value="f-ui.json"/>
      </spiffworkflow:properties>
      <spiffworkflow:instructionsForEndUser>Do it</spiffworkflow:instructionsForEndUser>
    </bpmn:extensionElements></bpmn:userTask>"""
    result = parse(
        SourceFile("p.bpmn", bpmn(chain(task))),
        SourceFile("f.json", b'{"type": "object"}'),
        SourceFile("f-ui.json", b'{"ui:order": []}'),
    )
    meta = result.processes[0].user_tasks["t1"]
    assert (meta.assignee, meta.candidate_groups, meta.due_date, meta.priority) == (
        "=initiator",
        ("clerks", "heads"),
        "P14D",
        3,
    )
    assert (meta.form_schema, meta.form_ui_schema, meta.instructions) == (
        {"type": "object"},
        {"ui:order": []},
        "Do it",
    )


def test_missing_form_is_a_problem() -> None:
    problems = rejected(data_file("bpmn", "user_task_variable.bpmn"))
    assert problems == [
        "user_task_variable.bpmn:14: user_task_one: form 'pizza_form.json' not found: deploy the JSON schema "
        "file with the model",
        "user_task_variable.bpmn:34: user_task_two: form 'pizza_form.json' not found: deploy the JSON schema "
        "file with the model",
    ]


def test_form_resolved_from_previous_deployment() -> None:
    form = SourceFile("pizza_form.json", b'{"type": "object"}')
    result = parse(
        data_file("bpmn", "user_task_variable.bpmn"),
        resolve=lambda kind, name: form if kind == "form" and name == form.name else None,
    )
    assert result.forms == {}
    assert {p.key for p in result.processes} == {"one", "two"}
    assert result.processes[0].user_tasks


# -- service tasks, conditions ---------------------------------------------------------------------
def test_service_task_handlers() -> None:
    task = '<bpmn:serviceTask id="t1" camunda:type="external" camunda:topic="akte.mail"/>'
    file = SourceFile("p.bpmn", bpmn(chain(task)))
    assert "p.bpmn:" in rejected(file)[0] and "'akte.mail' is not registered" in rejected(file)[0]
    handlers = HandlerRegistry()
    handlers.register("akte.mail", lambda data: None)
    assert parse(file, handlers=handlers).processes[0].service_tasks == {"t1": "akte.mail"}


def test_juel_conditions_translated_and_run() -> None:
    body = """<bpmn:startEvent id="start"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:scriptTask id="yes"><bpmn:script>branch = "yes"</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="no"><bpmn:script>branch = "no"</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
    <bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="yes">
      <bpmn:conditionExpression>${amount gt 100 &amp;&amp; !rejected}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="no">
      <bpmn:conditionExpression>${amount le 100 || rejected}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="yes" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="no" targetRef="end"/>"""
    result = parse(SourceFile("p.bpmn", bpmn(body)))
    assert run(result, "p", {"amount": 500, "rejected": False})["branch"] == "yes"
    assert run(result, "p", {"amount": 500, "rejected": True})["branch"] == "no"


def test_untranslatable_condition_and_javascript_are_rejected() -> None:
    body = chain(
        '<bpmn:scriptTask id="t1" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script>'
        "</bpmn:scriptTask>"
    )
    body = body.replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="t1" targetRef="end"/>',
        '<bpmn:sequenceFlow id="f1" sourceRef="t1" targetRef="end"><bpmn:conditionExpression>'
        "${bean.check(x)}</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    problems = rejected(SourceFile("p.bpmn", bpmn(body)))
    assert any(": t1: scriptFormat 'javascript' is not supported" in p for p in problems)
    assert any(": f1: conditionExpression '${bean.check(x)}' cannot be translated" in p for p in problems)


def test_non_executable_file_rejected() -> None:
    problems = rejected(data_file("bpmn", "non-executable-process.bpmn"))
    assert problems == [
        "non-executable-process.bpmn:3: Process_14di7kj: file has no executable process "
        '(isExecutable="true"); nothing to deploy'
    ]


# -- specs and hashes ------------------------------------------------------------------------------
def test_spec_json_round_trips_with_call_activity() -> None:
    called = SourceFile(
        "sub.bpmn",
        bpmn(
            chain('<bpmn:scriptTask id="t1"><bpmn:script>y = x * 2</bpmn:script></bpmn:scriptTask>'),
            process_id="sub",
        ),
    )
    main = SourceFile("main.bpmn", bpmn(chain('<bpmn:callActivity id="t1" calledElement="sub"/>')))
    result = parse(main, called)
    process = next(p for p in result.processes if p.key == "p")
    assert process.called_processes == ("sub",)
    assert run(result, "p", {"x": 21})["y"] == 42


def test_called_process_resolved_from_previous_deployment() -> None:
    called = SourceFile("sub.bpmn", bpmn(chain('<bpmn:userTask id="t1"/>'), process_id="sub"))
    main = SourceFile("main.bpmn", bpmn(chain('<bpmn:callActivity id="t1" calledElement="sub"/>')))
    result = parse(main, resolve=lambda kind, name: called if (kind, name) == ("process", "sub") else None)
    assert [p.key for p in result.processes] == ["p"]
    assert set(result.processes[0].user_tasks) == {"t1"}


def test_sha256_stable_and_sensitive_to_forms() -> None:
    task = (
        '<bpmn:userTask id="t1"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formJsonSchemaFilename" value="f.json"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )
    model = SourceFile("p.bpmn", bpmn(chain(task)))
    first = parse(model, SourceFile("f.json", b'{"type": "object"}')).processes[0]
    again = parse(model, SourceFile("f.json", b'{"type": "object"}')).processes[0]
    changed = parse(model, SourceFile("f.json", b'{"type": "object", "title": "x"}')).processes[0]
    assert first.sha256 == again.sha256 and first.spec_json == again.spec_json
    assert changed.sha256 != first.sha256


def test_all_problems_reported_at_once() -> None:
    tasks = [
        '<bpmn:serviceTask id="t1" camunda:class="x.Y"/>',
        '<bpmn:userTask id="t2" camunda:priority="high"/>',
        '<bpmn:scriptTask id="t3"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>',
    ]
    problems = rejected(SourceFile("p.bpmn", bpmn(chain(*tasks))), SourceFile("bad.json", b"[1"))
    assert len(problems) >= 3
    assert {p.split(": ")[1] for p in problems} >= {"t1", "t2", "-"}
