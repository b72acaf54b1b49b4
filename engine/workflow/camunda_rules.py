"""Camunda business-rule task result mapping (camunda:resultVariable + camunda:mapDecisionResult).

Spiff merges a decision's outputs into the task data; Camunda stores them in one result variable shaped by
`mapDecisionResult`. The shape is produced by a generated spiffworkflow:postScript.
"""

from __future__ import annotations

from lxml import etree

from engine.workflow.dmn import DecisionInfo
from engine.workflow.xmlutil import camunda_attr, spiff_extension

MAP_RESULTS = ("singleEntry", "singleResult", "collectEntries", "resultList")


def result_script(variable: str, mode: str, decision: DecisionInfo) -> str | None:
    outputs, collect = decision.outputs, decision.hit_policy == "COLLECT"
    if not variable.isidentifier() or not outputs or not all(o.isidentifier() for o in outputs):
        return None
    row = "{" + ", ".join(f"{o!r}: {o}" for o in outputs) + "}"
    single = len(outputs) == 1
    if mode == "singleEntry" and single:
        return (
            f"{variable} = ({outputs[0]}[0] if {outputs[0]} else None)"
            if collect
            else f"{variable} = {outputs[0]}"
        )
    if mode == "collectEntries" and single:
        return f"{variable} = {outputs[0]}" if collect else f"{variable} = [{outputs[0]}]"
    if mode == "singleResult" and not collect:
        return f"{variable} = {row}"
    if mode == "resultList" and not collect:
        return f"{variable} = [{row}]"
    if mode == "resultList" and single:
        return f"{variable} = [{{{outputs[0]!r}: value}} for value in {outputs[0]}]"
    return None


def decision_ref(task: etree._Element) -> str | None:
    """Decision id a business-rule task calls (spiffworkflow:calledDecisionId or camunda:decisionRef)."""
    node = spiff_extension(task, "calledDecisionId")
    if node is not None and (node.text or "").strip():
        return (node.text or "").strip()
    return camunda_attr(task, "decisionRef")
